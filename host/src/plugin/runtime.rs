//! The engine and linker (built once), loading a component against its manifest, and calling
//! it: a fresh store per call with memory, time and output caps.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use wasmtime::component::{Component, HasSelf, InstancePre, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store, Trap};
use wharf_plugin_sdk::{Batch, Context, Document, RowError};

use super::bindings::types::PluginError;
use super::bindings::{action, filter, imports, mapper, transform};
use super::cache::ArtifactCache;
use super::compile::{self, Compiler, LoadLimits};
use super::convert;
use super::entities::{Entities, NoEntities, UnitOfWork};
use super::manifest::{CONTRACT_VERSION, Limits, Manifest, Role};
use super::outbound::{Outbound, OutboundCall};
use super::shares::{Shares, Slot};
use super::signature::Signing;
use super::state::CallState;

/// What the host counts against a call's output limit for each record it returns (an
/// entity's output, a row error, a column name) beyond its bytes: the record's own memory in
/// the host.
const RECORD_OVERHEAD: usize = 64;

/// How much a call's result may cost the host to copy out of the guest, as a multiple of its
/// output limit. wasmtime counts every string's bytes and every list's elements at their host
/// size as it copies them ("hostcall fuel") and stops at this budget, so a result the guest
/// makes small by pointing many entries at the same bytes (a million row errors sharing one
/// 1 MiB message) never grows the host past it. A result within the output limit, counted
/// with [`RECORD_OVERHEAD`] per record, costs at most 1.5 times the limit to copy.
pub const LIFT_FACTOR: usize = 2;

/// Row errors a mapper may return per input row, as the contract says.
const MAX_ERRORS_PER_ROW: usize = 64;

/// What a freed instance slot keeps resident, per memory and table, where only its touched
/// pages need resetting (see [`engine_config`]): a Rust plugin's stack and first allocations.
/// At most `max_unused_warm_slots` (100) slots stay warm, so at most about 100 MiB stays
/// resident for it.
const KEEP_RESIDENT_BYTES: usize = 1 << 20;

/// How often the epoch advances; a call's time limit is enforced to within this.
const EPOCH_TICK: Duration = Duration::from_millis(5);

/// Settings of a [`Runtime`].
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// Where compiled components are cached; `None` compiles at every load.
    pub cache_dir: Option<PathBuf>,
    /// Calls that may run at once across all plugins (the pooling allocator's slots).
    pub max_concurrent_calls: u32,
    /// Calls that may run at once for one plugin, all its versions together: its share of
    /// the slots, so a flood of calls to one plugin leaves the rest to the others.
    pub max_calls_per_plugin: u32,
    /// How long a call waits for a slot before it fails as busy.
    pub busy_wait: Duration,
    /// Limits on loading a component: its size, and the time and memory compiling it takes.
    pub load_limits: LoadLimits,
    /// Compiles components in a process of their own, where the time and memory limits hold;
    /// `None` compiles in this process, where only the size limit holds. Defaults to the
    /// process's compiler: the `wharf` binary itself, in `wharf` (see [`Compiler`]).
    pub compiler: Option<Compiler>,
    /// What plugins' calls to web services may reach: the operator's rules, open networks,
    /// trusted CAs and secrets. Defaults to nothing opened and no secrets.
    pub outbound: Arc<Outbound>,
    /// The keys plugins must be signed with, if any (`[signing]`; see [`Signing`]).
    pub signing: Option<Arc<Signing>>,
    /// Counts what each call costs, fuel (instructions) and peak memory, for
    /// [`Plugin::take_cost`]. Metering fuel slows every call by about a tenth, so it is for
    /// `wharf plugin test`'s second run of a case, never for serving.
    pub measure: bool,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            cache_dir: None,
            max_concurrent_calls: 256,
            max_calls_per_plugin: 64,
            busy_wait: Duration::from_secs(1),
            load_limits: LoadLimits::default(),
            compiler: Compiler::process_default(),
            outbound: Arc::default(),
            signing: None,
            measure: false,
        }
    }
}

/// The engine configuration every plugin runs under: the pooling allocator (instantiation in
/// microseconds, see `shared/toolchain.md`) and epoch interruption (the time limit, at about
/// a tenth of fuel metering's cost).
pub fn engine_config(config: &RuntimeConfig) -> Config {
    let slots = config.max_concurrent_calls;
    let mut pool = PoolingAllocationConfig::new();
    // A Rust component instantiates a few core modules (its own plus WASI shims).
    pool.total_component_instances(slots)
        .total_core_instances(slots * 8)
        .total_memories(slots * 2)
        .total_tables(slots * 4)
        .max_memory_size(Limits::MAX.memory_bytes())
        .max_memories_per_component(4)
        .max_tables_per_component(8)
        .max_core_instances_per_component(16);
    // Where the kernel can say which pages an instance touched (the `PAGEMAP_SCAN` ioctl,
    // Linux 6.7), a freed slot keeps up to a megabyte resident and only its touched pages are
    // reset to their initial contents, instead of the whole slot being returned with
    // `madvise` and faulted in again by the next instance: measured with the plugin benchmark,
    // a fresh instance's call went from 29 to 10 µs and `instantiate` from 12.2 to 7.5 µs.
    // Without the ioctl, keeping pages resident means zeroing them all and measured slower
    // (15 µs), so slots are returned as before.
    if PoolingAllocationConfig::is_pagemap_scan_available() {
        pool.pagemap_scan(wasmtime::Enabled::Yes)
            .linear_memory_keep_resident(KEEP_RESIDENT_BYTES)
            .table_keep_resident(KEEP_RESIDENT_BYTES);
    }
    let mut engine_config = Config::new();
    engine_config
        .wasm_component_model(true)
        .epoch_interruption(true)
        .max_wasm_stack(1024 * 1024)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    // `WHARF_PERFMAP=1` names plugin functions in `perf` profiles.
    if std::env::var_os("WHARF_PERFMAP").is_some() {
        engine_config.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    if config.measure {
        engine_config.consume_fuel(true);
    }
    engine_config
}

/// The engine, linker and cache every plugin shares. Cheap to clone.
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<RuntimeInner>,
}

struct RuntimeInner {
    engine: Engine,
    linker: Linker<CallState>,
    cache: Option<ArtifactCache>,
    load_limits: LoadLimits,
    compiler: Option<Compiler>,
    entities: Arc<dyn Entities>,
    shares: Arc<Shares>,
    outbound: Arc<Outbound>,
    signing: Option<Arc<Signing>>,
    measure: bool,
    /// Hears every call's outcome (see [`Runtime::observe_calls`]).
    observers: super::observe::Observers,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime").field("cache", &self.inner.cache).finish_non_exhaustive()
    }
}

impl Runtime {
    /// Builds the engine (pooling allocator, epoch interruption) and the linker.
    pub fn new(config: &RuntimeConfig, entities: Arc<dyn Entities>) -> Result<Runtime> {
        let engine =
            Engine::new(&engine_config(config)).map_err(anyhow::Error::from).context("cannot start the wasm engine")?;

        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(anyhow::Error::from)?;
        // The monotonic clock again, over wasmtime-wasi's: its waits end by the call's
        // deadline (see `CallState::sleep`).
        linker.allow_shadowing(true);
        wasmtime_wasi::p2::bindings::clocks::monotonic_clock::add_to_linker::<CallState, HasSelf<CallState>>(
            &mut linker,
            |state| state,
        )
        .map_err(anyhow::Error::from)?;
        linker.allow_shadowing(false);
        imports::Imports::add_to_linker::<CallState, HasSelf<CallState>>(&mut linker, |state| state)
            .map_err(anyhow::Error::from)?;

        let cache = config.cache_dir.as_deref().map(|dir| ArtifactCache::open(dir, &engine)).transpose()?;
        // The ticker holds the engine weakly, so it stops when the last plugin and runtime go.
        let ticker_engine = engine.weak();
        std::thread::Builder::new()
            .name("wharf-epoch".into())
            .spawn(move || {
                while let Some(engine) = ticker_engine.upgrade() {
                    engine.increment_epoch();
                    drop(engine);
                    std::thread::sleep(EPOCH_TICK);
                }
            })
            .context("cannot start the epoch ticker")?;
        let shares = Arc::new(Shares::new(
            config.max_concurrent_calls as usize,
            config.max_calls_per_plugin as usize,
            config.busy_wait,
        ));
        let (load_limits, compiler, outbound) = (config.load_limits, config.compiler.clone(), config.outbound.clone());
        let (measure, signing) = (config.measure, config.signing.clone());
        let observers = super::observe::Observers::default();
        let inner = RuntimeInner {
            engine,
            linker,
            cache,
            load_limits,
            compiler,
            entities,
            shares,
            outbound,
            signing,
            measure,
            observers,
        };
        Ok(Runtime { inner: Arc::new(inner) })
    }

    /// What plugins' calls to web services came to, and the secrets to keep out of logs.
    pub fn outbound(&self) -> &Outbound {
        &self.inner.outbound
    }

    /// Has `observer` hear the outcome of every call of a plugin this runtime loaded, for as
    /// long as it lives (the runtime keeps only a weak reference). `false` when the runtime
    /// has an observer already: one is set once, by whoever serves the plugins.
    pub fn observe_calls(&self, observer: &Arc<dyn super::observe::CallObserver>) -> bool {
        self.inner.observers.set(observer)
    }

    /// A runtime with default settings and no entity data.
    pub fn standalone() -> Result<Runtime> {
        Runtime::new(&RuntimeConfig::default(), Arc::new(NoEntities))
    }

    /// Loads `path` (a `.wasm` component) with the manifest beside it (same name, `.toml`),
    /// and its signature when the runtime checks signatures.
    pub fn load(&self, path: &Path) -> Result<Plugin> {
        let manifest_path = path.with_extension("toml");
        let text = std::fs::read_to_string(&manifest_path)
            .with_context(|| format!("cannot read manifest {}", manifest_path.display()))?;
        let wasm = std::fs::read(path).with_context(|| format!("cannot read plugin {}", path.display()))?;
        let signature = super::signature::read_signature(path)?;
        self.check_signature(path, &wasm, &text, signature.as_deref())
            .with_context(|| format!("cannot load plugin {}", path.display()))?;
        let manifest =
            Manifest::parse(&text).with_context(|| format!("invalid manifest {}", manifest_path.display()))?;
        self.load_bytes(&wasm, manifest).with_context(|| format!("cannot load plugin {}", path.display()))
    }

    /// Checks component `wasm` of `file` and its manifest's `text` against `signature` (the
    /// text of its `.minisig`), when this runtime's deployment trusts signing keys.
    pub fn check_signature(&self, file: &Path, wasm: &[u8], text: &str, signature: Option<&str>) -> Result<()> {
        match &self.inner.signing {
            Some(signing) => signing.check(file, wasm, text, signature),
            None => Ok(()),
        }
    }

    /// Compiles (or takes from the cache) `wasm` within the load limits and checks it against
    /// `manifest`.
    pub fn load_bytes(&self, wasm: &[u8], manifest: Manifest) -> Result<Plugin> {
        let engine = &self.inner.engine;
        let content_hash = blake3::hash(wasm);
        let inner = &self.inner;
        let component = compile::component(
            engine,
            inner.cache.as_ref(),
            &inner.load_limits,
            inner.compiler.as_ref(),
            wasm,
            &content_hash,
        )?;
        let exports = check_exports(&component, engine, &manifest)?;
        let instance_pre = self
            .inner
            .linker
            .instantiate_pre(&component)
            .map_err(anyhow::Error::from)
            .context("the component needs imports this host does not provide")?;
        let shape = |role: Role| {
            move |error: wasmtime::Error| anyhow::anyhow!("export {} has the wrong shape: {error}", interface(role))
        };
        let has = |role| manifest.roles.contains(&role);
        let roles = Roles {
            mapper: has(Role::Mapper)
                .then(|| mapper::MapperPluginPre::new(instance_pre.clone()).map_err(shape(Role::Mapper)))
                .transpose()?,
            filter: has(Role::Filter)
                .then(|| filter::FilterPluginPre::new(instance_pre.clone()).map_err(shape(Role::Filter)))
                .transpose()?,
            transform: has(Role::Transform)
                .then(|| transform::TransformPluginPre::new(instance_pre.clone()).map_err(shape(Role::Transform)))
                .transpose()?,
            action: has(Role::Action)
                .then(|| action::ActionPluginPre::new(instance_pre.clone()).map_err(shape(Role::Action)))
                .transpose()?,
        };
        Ok(Plugin {
            id: manifest.id().into(),
            name: manifest.name.as_str().into(),
            manifest: Arc::new(manifest),
            content_hash: content_hash.to_hex().to_string(),
            exports,
            roles,
            instance_pre,
            cost: self.inner.measure.then(Mutex::default),
            stats: Default::default(),
            runtime: self.clone(),
        })
    }
}

fn interface(role: Role) -> String {
    format!("wharf:plugin/{role}@{CONTRACT_VERSION}")
}

/// Compares the component's real exports with the roles its manifest declares.
fn check_exports(component: &Component, engine: &Engine, manifest: &Manifest) -> Result<Vec<String>> {
    let exports: Vec<String> = component.component_type().exports(engine).map(|(name, _)| name.to_owned()).collect();
    let mut exported_roles = Vec::new();
    for name in &exports {
        let Some(rest) = name.strip_prefix("wharf:plugin/") else { continue };
        let (role_name, version) = rest.split_once('@').unwrap_or((rest, "none"));
        if version != CONTRACT_VERSION {
            bail!(
                "the component exports {name}, built for contract version {version}; this host speaks \
                 wharf:plugin@{CONTRACT_VERSION}: rebuild the plugin with a matching wharf-plugin-sdk"
            );
        }
        match Role::ALL.into_iter().find(|role| role.name() == role_name) {
            Some(role) => exported_roles.push(role),
            None => bail!("the component exports {name}, which is not a Wharf role"),
        }
    }
    if exported_roles.is_empty() {
        bail!(
            "the component exports no Wharf role (its exports: {}); build it with wharf-plugin-sdk",
            if exports.is_empty() { "none".into() } else { exports.join(", ") }
        );
    }
    for role in &manifest.roles {
        if !exported_roles.contains(role) {
            bail!("the manifest declares role {role}, but the component does not export {}", interface(*role));
        }
    }
    for role in &exported_roles {
        if !manifest.roles.contains(role) {
            bail!("the component exports {}, but the manifest does not list role {role}", interface(*role));
        }
    }
    Ok(exports)
}

pub(super) struct Roles {
    pub(super) mapper: Option<mapper::MapperPluginPre<CallState>>,
    pub(super) filter: Option<filter::FilterPluginPre<CallState>>,
    transform: Option<transform::TransformPluginPre<CallState>>,
    action: Option<action::ActionPluginPre<CallState>>,
}

/// One loaded, validated version of a plugin, ready to call from any thread.
pub struct Plugin {
    id: Arc<str>,
    /// The plugin's name, which its share of the instance pool goes by.
    name: Arc<str>,
    manifest: Arc<Manifest>,
    content_hash: String,
    exports: Vec<String>,
    pub(super) roles: Roles,
    instance_pre: InstancePre<CallState>,
    /// What its calls cost, counted when its runtime measures.
    cost: Option<Mutex<CallCost>>,
    /// Its calls since it was loaded, for the console.
    stats: super::observe::CallStats,
    runtime: Runtime,
}

/// The fuel a measured call starts with: more than any call can burn before its time limit.
const MEASURING_FUEL: u64 = u64::MAX;

/// What the calls of a plugin cost, counted by a measuring runtime ([`RuntimeConfig::measure`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallCost {
    /// Calls made, failed ones included.
    pub calls: u64,
    /// Fuel the calls consumed: about one unit per WebAssembly instruction run.
    pub fuel: u64,
    /// The most linear memory, all of the instance's memories together, that one call held.
    pub peak_memory_bytes: usize,
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin").field("id", &self.id).field("content_hash", &self.content_hash).finish_non_exhaustive()
    }
}

/// Why a call failed. The call's output, if any, is discarded; the host goes on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("plugin {plugin}: {kind}")]
pub struct CallError {
    /// `name@version` of the plugin.
    pub plugin: String,
    /// What went wrong.
    pub kind: CallErrorKind,
}

/// What went wrong in a call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallErrorKind {
    /// The call ran past its time limit and was interrupted.
    #[error("stopped after {elapsed_ms} ms, at its time limit of {limit_ms} ms")]
    Timeout {
        /// The limit.
        limit_ms: u64,
        /// How long the call ran, measured: the limit plus the time it took to stop it.
        elapsed_ms: u64,
    },
    /// The call tried to grow its memory past the limit.
    #[error("stopped at its memory limit of {limit_mib} MiB")]
    Memory {
        /// The limit.
        limit_mib: u32,
    },
    /// The call returned more than its output limit.
    #[error("returned at least {bytes} bytes, over its output limit of {limit_mib} MiB")]
    Output {
        /// What it returned; when the host stopped copying the result (see [`LIFT_FACTOR`]),
        /// what it had copied by then.
        bytes: usize,
        /// The limit.
        limit_mib: u32,
    },
    /// Every slot the plugin may hold was taken for the whole wait: too many calls at once.
    #[error("is busy: every call slot it may hold stayed taken for {waited_ms} ms")]
    Busy {
        /// How long the call waited for a slot.
        waited_ms: u64,
    },
    /// The plugin trapped: a panic, a stack overflow, an out-of-bounds access.
    #[error("trapped: {0}")]
    Trap(String),
    /// The plugin reported that the call failed.
    #[error("failed: {0}")]
    Failed(String),
    /// The plugin returned something the contract does not allow.
    #[error("returned malformed output: {0}")]
    Malformed(String),
    /// The plugin does not serve this role or action.
    #[error("{0}")]
    Unsupported(String),
    /// The call could not start, or its changes could not be committed.
    #[error("{0}")]
    Host(String),
}

/// What a mapper made of a batch, checked against the contract.
#[derive(Debug, Clone, PartialEq)]
pub struct MapOutput {
    /// Rows per entity.
    pub outputs: Vec<EntityRows>,
    /// Input rows the plugin rejected.
    pub errors: Vec<RowError>,
}

/// The rows one entity receives from one input batch.
#[derive(Debug, Clone, PartialEq)]
pub struct EntityRows {
    /// The entity.
    pub entity: String,
    /// The rows.
    pub batch: Batch,
    /// For each row, the index of the input row it came from.
    pub source_rows: Vec<u32>,
}

impl Plugin {
    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// `name@version`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// BLAKE3 of the component's bytes.
    pub fn content_hash(&self) -> &str {
        &self.content_hash
    }

    /// The component's exports, as the component model names them.
    pub fn exports(&self) -> &[String] {
        &self.exports
    }

    /// What this plugin's calls cost since it was loaded or last asked, counting anew from
    /// here; `None` unless its runtime measures ([`RuntimeConfig::measure`]).
    pub fn take_cost(&self) -> Option<CallCost> {
        let cost = self.cost.as_ref()?;
        Some(std::mem::take(&mut *cost.lock().unwrap_or_else(std::sync::PoisonError::into_inner)))
    }

    /// Its calls since it was loaded: how many, how long, and what stopped them.
    pub fn calls(&self) -> super::CallCounts {
        self.stats.snapshot()
    }

    pub(super) fn call_stats(&self) -> &super::observe::CallStats {
        &self.stats
    }

    /// Instantiates the component in a fresh store, with this plugin's limits, and drops it:
    /// shows the plugin can start (its initial memory fits its limit, its start code runs).
    pub fn instantiate(&self) -> Result<(), CallError> {
        self.call(|store| self.instance_pre.instantiate(&mut *store).map(drop))
    }

    /// Maps a batch of source rows, in an instance of its own.
    pub fn map(&self, ctx: &Context, input: &Batch) -> Result<MapOutput, CallError> {
        let pre = self.role(self.roles.mapper.as_ref(), Role::Mapper)?;
        let batch = row_batch(input);
        let mapped = self.call(|store| {
            store.data_mut().outbound.permit();
            let plugin = pre.instantiate(&mut *store)?;
            plugin.wharf_plugin_mapper().call_map(&mut *store, &convert::context(ctx), &batch)
        })?;
        self.checked_map(input, mapped)
    }

    /// What a mapper returned for `input`, checked against the contract and the limits.
    pub(super) fn checked_map(
        &self,
        input: &Batch,
        mapped: Result<mapper::exports::wharf::plugin::mapper::Mapped, PluginError>,
    ) -> Result<MapOutput, CallError> {
        let mapped = self.returned(mapped)?;
        // Everything returned counts, at what it costs the host to hold: a million empty
        // outputs or row errors are small to the guest and large to us.
        let text = |texts: &[String]| texts.iter().map(|text| text.len() + RECORD_OVERHEAD).sum::<usize>();
        let bytes = mapped
            .outputs
            .iter()
            .map(|o| o.entity.len() + text(&o.batch.columns) + o.batch.rows.len() + o.source_rows.len() * 4)
            .chain(mapped.errors.iter().map(|e| e.message.len() + e.field.as_ref().map_or(0, String::len)))
            .sum::<usize>()
            + (mapped.outputs.len() + mapped.errors.len()) * RECORD_OVERHEAD;
        self.check_output(bytes)?;
        let malformed = |message: String| self.error(CallErrorKind::Malformed(message));
        if mapped.errors.len() > input.len().max(1) * MAX_ERRORS_PER_ROW {
            let (errors, rows) = (mapped.errors.len(), input.len());
            return Err(malformed(format!(
                "{errors} row errors for {rows} input rows (at most {MAX_ERRORS_PER_ROW} a row)"
            )));
        }
        let in_input = |row: u32| (row as usize) < input.len();
        let mut outputs = Vec::with_capacity(mapped.outputs.len());
        for output in mapped.outputs {
            if !self.manifest.entities.contains(&output.entity) {
                return Err(malformed(format!("rows for entity {}, which its manifest does not list", output.entity)));
            }
            let batch = Batch::from_parts(output.batch.columns, output.batch.rows)
                .map_err(|error| malformed(format!("{}: {error}", output.entity)))?;
            if output.source_rows.len() != batch.len() || !output.source_rows.iter().all(|&row| in_input(row)) {
                return Err(malformed(format!("{}: source rows do not match the rows", output.entity)));
            }
            outputs.push(EntityRows { entity: output.entity, batch, source_rows: output.source_rows });
        }
        let errors = mapped
            .errors
            .into_iter()
            .map(|error| {
                in_input(error.row)
                    .then_some(RowError { row: error.row, field: error.field, message: error.message })
                    .ok_or_else(|| malformed(format!("an error for row {}, which is not in the input", error.row)))
            })
            .collect::<Result<_, _>>()?;
        Ok(MapOutput { outputs, errors })
    }

    /// Which rows of a batch to keep: one answer per row, from an instance of its own.
    pub fn keep(&self, ctx: &Context, input: &Batch) -> Result<Vec<bool>, CallError> {
        let pre = self.role(self.roles.filter.as_ref(), Role::Filter)?;
        let batch = row_batch(input);
        let keep = self.call(|store| {
            let plugin = pre.instantiate(&mut *store)?;
            plugin.wharf_plugin_filter().call_keep(&mut *store, &convert::context(ctx), &batch)
        })?;
        self.checked_keep(input, keep)
    }

    /// What a filter answered for `input`, checked against the contract.
    pub(super) fn checked_keep(
        &self,
        input: &Batch,
        keep: Result<Vec<bool>, PluginError>,
    ) -> Result<Vec<bool>, CallError> {
        let keep = self.returned(keep)?;
        if keep.len() != input.len() {
            let message = format!("{} answers for {} rows", keep.len(), input.len());
            return Err(self.error(CallErrorKind::Malformed(message)));
        }
        Ok(keep)
    }

    /// Reshapes a document.
    pub fn transform(&self, ctx: &Context, input: Document) -> Result<Document, CallError> {
        self.transform_with_config(ctx, input, None)
    }

    /// Reshapes a document, the plugin's `config` answering `call_config`'s values first.
    pub fn transform_with_config(
        &self,
        ctx: &Context,
        input: Document,
        call_config: Option<Arc<std::collections::HashMap<String, String>>>,
    ) -> Result<Document, CallError> {
        let pre = self.role(self.roles.transform.as_ref(), Role::Transform)?;
        let document = convert::document_in(input);
        let output = self.call(|store| {
            store.data_mut().call_config = call_config;
            let plugin = pre.instantiate(&mut *store)?;
            plugin.wharf_plugin_transform().call_transform(&mut *store, &convert::context(ctx), &document)
        })?;
        let output = self.returned(output)?;
        self.check_output(output.content.len())?;
        Ok(convert::document_out(output))
    }

    /// Runs action `name` with JSON `input` in a unit of work over `entities`, committed only
    /// when the action succeeds. Returns the action's JSON result as the plugin wrote it:
    /// checked, but not expanded into a tree, which for a result of many small values takes
    /// tens of times its size (15 MB took 570 MB).
    pub fn invoke(
        &self,
        ctx: &Context,
        name: &str,
        input: &serde_json::Value,
        entities: &dyn Entities,
    ) -> Result<Box<serde_json::value::RawValue>, CallError> {
        let pre = self.role(self.roles.action.as_ref(), Role::Action)?;
        if !self.manifest.actions.iter().any(|action| action == name) {
            let offered = self.manifest.actions.join(", ");
            return Err(self.error(CallErrorKind::Unsupported(format!("has no action {name} (it offers: {offered})"))));
        }
        let read_only = self.manifest.bindings.get(name).is_some_and(|binding| binding.read_only);
        let unit = if read_only { entities.begin_read() } else { entities.begin() };
        let unit = unit.map_err(|error| self.error(CallErrorKind::Host(format!("{error:#}"))))?;
        let input = input.to_string();
        let (output, unit) = self.call_in_unit(Some(unit), |store| {
            store.data_mut().outbound.permit();
            let plugin = pre.instantiate(&mut *store)?;
            plugin.wharf_plugin_action().call_invoke(&mut *store, &convert::context(ctx), name, &input)
        })?;
        let output = self.returned(output)?;
        self.check_output(output.len())?;
        let output = serde_json::value::RawValue::from_string(output)
            .map_err(|error| self.error(CallErrorKind::Malformed(format!("result is not JSON: {error}"))))?;
        // A result with declared members is what `$metadata` and typed clients were promised:
        // one that breaks the promise is refused before anything is committed. (`null` is no
        // result, answered with no content.)
        let declared = self.manifest.bindings.get(name).and_then(|binding| binding.returns.as_ref());
        if let Some(returns) = declared.filter(|returns| returns.complex.is_some())
            && output.get() != "null"
        {
            returns.check_text(output.get()).map_err(|problem| {
                self.error(CallErrorKind::Malformed(format!("result is not {returns}: {problem}")))
            })?;
        }
        if let Some(unit) = unit {
            unit.commit().map_err(|error| self.error(CallErrorKind::Host(format!("cannot commit: {error:#}"))))?;
        }
        Ok(output)
    }

    pub(super) fn role<'a, T>(&self, pre: Option<&'a T>, role: Role) -> Result<&'a T, CallError> {
        pre.ok_or_else(|| self.error(CallErrorKind::Unsupported(format!("does not serve role {role}"))))
    }

    /// What the plugin returned, with an error it reported made a `Failed` call.
    /// Its message may quote a web service's answer, so secrets are redacted from it.
    fn returned<T>(&self, result: Result<T, PluginError>) -> Result<T, CallError> {
        let redact = |message: String| self.runtime.inner.outbound.redact(&message);
        result.map_err(|error| self.error(CallErrorKind::Failed(redact(error.message))))
    }

    fn error(&self, kind: CallErrorKind) -> CallError {
        CallError { plugin: self.id.to_string(), kind }
    }

    fn check_output(&self, bytes: usize) -> Result<(), CallError> {
        let limits = self.manifest.limits;
        if bytes > limits.output_bytes() {
            let kind = CallErrorKind::Output { bytes, limit_mib: limits.output_mib };
            super::observe::record_fault(self, &kind);
            self.runtime.inner.observers.faulted(self, &kind);
            return Err(self.error(kind));
        }
        Ok(())
    }

    fn call<R>(&self, run: impl FnOnce(&mut Store<CallState>) -> wasmtime::Result<R>) -> Result<R, CallError> {
        self.call_in_unit(None, run).map(|(output, _)| output)
    }

    /// Runs `run` in a fresh store with this plugin's limits and `unit` as its unit of work,
    /// which comes back with the output (to be committed) only when the call succeeded.
    fn call_in_unit<R>(
        &self,
        unit: Option<Box<dyn UnitOfWork>>,
        run: impl FnOnce(&mut Store<CallState>) -> wasmtime::Result<R>,
    ) -> Result<(R, Option<Box<dyn UnitOfWork>>), CallError> {
        let (mut store, _slot) = self.store(unit)?;
        let output = self.run(&mut store, run)?;
        Ok((output, store.data_mut().unit.take()))
    }

    /// A store with this plugin's limits and `unit` as its unit of work, and the slot of the
    /// instance pool it holds (see [`Shares`]); a busy error when no slot came free.
    pub(super) fn store(&self, unit: Option<Box<dyn UnitOfWork>>) -> Result<(Store<CallState>, Slot), CallError> {
        let inner = &self.runtime.inner;
        let Some(slot) = inner.shares.take(&self.name) else {
            let waited_ms = inner.shares.wait().as_millis() as u64;
            let kind = CallErrorKind::Busy { waited_ms };
            super::observe::record(self, None, Some(&kind));
            return Err(self.error(kind));
        };
        let outbound = OutboundCall::new(inner.outbound.clone(), self.name.clone());
        let state = CallState::new(self.manifest.clone(), self.id.clone(), inner.entities.clone(), unit, outbound);
        let mut store = Store::new(&inner.engine, state);
        store.limiter(|state| &mut state.limiter);
        Ok((store, slot))
    }

    /// Runs one call in `store`, fresh or reused: its time limit counts from now, and its
    /// budgets (the result's copy, fuel when measured) are whole again.
    pub(super) fn run<R>(
        &self,
        store: &mut Store<CallState>,
        run: impl FnOnce(&mut Store<CallState>) -> wasmtime::Result<R>,
    ) -> Result<R, CallError> {
        let limits = self.manifest.limits;
        let ticks = Duration::from_millis(limits.timeout_ms).as_nanos().div_ceil(EPOCH_TICK.as_nanos()) as u64 + 1;
        store.data_mut().begin();
        store.set_epoch_deadline(ticks);
        // Bounds what copying the result, and each host call's arguments, may allocate.
        store.set_hostcall_fuel(limits.output_bytes() * LIFT_FACTOR);
        if self.cost.is_some() {
            store.set_fuel(MEASURING_FUEL).map_err(|error| self.error(CallErrorKind::Host(format!("{error:#}"))))?;
        }
        let started = std::time::Instant::now();
        let result = run(store);
        let elapsed = started.elapsed();
        self.count_cost(store);
        let stderr = store.data_mut().flush_stdio();
        let outcome = match result {
            Ok(_) if store.data().waited_past_deadline => Err(self
                .error(CallErrorKind::Timeout { limit_ms: limits.timeout_ms, elapsed_ms: elapsed.as_millis() as u64 })),
            Ok(output) => Ok(output),
            Err(error) => Err(self.error(self.classify(store.data(), error, &stderr, elapsed))),
        };
        let fault = outcome.as_ref().err().map(|error| &error.kind);
        super::observe::record(self, Some(elapsed), fault);
        self.runtime.inner.observers.called(self, fault);
        outcome
    }

    /// Adds a finished call's fuel and peak memory to the plugin's cost, when it is counted.
    fn count_cost(&self, store: &Store<CallState>) {
        let Some(cost) = &self.cost else { return };
        let mut cost = cost.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        cost.calls += 1;
        cost.fuel += MEASURING_FUEL - store.get_fuel().unwrap_or(MEASURING_FUEL);
        cost.peak_memory_bytes = cost.peak_memory_bytes.max(store.data().limiter.peak_bytes());
    }

    fn classify(&self, state: &CallState, error: wasmtime::Error, stderr: &str, elapsed: Duration) -> CallErrorKind {
        let limits = self.manifest.limits;
        if state.limiter.memory_hit {
            return CallErrorKind::Memory { limit_mib: limits.memory_mib };
        }
        let error = anyhow::Error::from(error);
        // wasmtime's error for a copy past the store's hostcall fuel is a private type.
        if error.chain().any(|cause| cause.to_string().contains("fuel allocated for hostcalls has been exhausted")) {
            return CallErrorKind::Output { bytes: limits.output_bytes() * LIFT_FACTOR, limit_mib: limits.output_mib };
        }
        let panic = panic_message(stderr);
        match error.downcast_ref::<Trap>() {
            Some(Trap::Interrupt) => {
                CallErrorKind::Timeout { limit_ms: limits.timeout_ms, elapsed_ms: elapsed.as_millis() as u64 }
            }
            Some(Trap::StackOverflow) => CallErrorKind::Trap("stack overflow (recursion too deep)".into()),
            Some(trap) => CallErrorKind::Trap(match panic {
                Some(panic) => format!("{trap} ({panic})"),
                None => trap.to_string(),
            }),
            None => match error.downcast_ref::<wasmtime_wasi::I32Exit>() {
                Some(exit) => CallErrorKind::Trap(format!("called exit({})", exit.0)),
                None => CallErrorKind::Host(format!("{error:#}")),
            },
        }
    }
}

pub(super) fn row_batch(batch: &Batch) -> super::bindings::types::RowBatch {
    super::bindings::types::RowBatch { columns: batch.columns().to_vec(), rows: batch.data().to_vec() }
}

/// The message of a Rust panic in the plugin's stderr, without the backtrace hint.
fn panic_message(stderr: &str) -> Option<String> {
    let start = stderr.rfind("panicked at")?;
    let message: Vec<&str> =
        stderr[start..].lines().filter(|line| !line.starts_with("note:") && !line.trim().is_empty()).collect();
    let mut message = message.join(" ");
    message.truncate(message.floor_char_boundary(500));
    Some(message)
}
