//! What one call's store holds, and the host functions plugins import.

use std::sync::Arc;

use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use super::bindings::{host, types, unit_of_work};
use super::convert::{fields_in, fields_out};
use super::entities::{Entities, UnitOfWork};
use super::manifest::Manifest;

/// Log and stdio bytes one call may produce. A plugin that logs in a loop must not fill the
/// host's disk; past this its lines are dropped and one warning says so.
const LOG_BUDGET: usize = 64 * 1024;

/// Rows one `find` may return, whatever the plugin asks for.
const FIND_LIMIT: u32 = 10_000;

pub(crate) struct CallState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(super) limiter: Limiter,
    manifest: Arc<Manifest>,
    plugin: Arc<str>,
    entities: Arc<dyn Entities>,
    pub(super) unit: Option<Box<dyn UnitOfWork>>,
    stdout: MemoryOutputPipe,
    stderr: MemoryOutputPipe,
    log_bytes: usize,
}

impl CallState {
    pub(super) fn new(
        manifest: Arc<Manifest>,
        plugin: Arc<str>,
        entities: Arc<dyn Entities>,
        unit: Option<Box<dyn UnitOfWork>>,
    ) -> CallState {
        let stdout = MemoryOutputPipe::new(LOG_BUDGET);
        let stderr = MemoryOutputPipe::new(LOG_BUDGET);
        // No preopened directories, no environment, no arguments, no sockets (WASI's default
        // denies TCP, UDP and name lookup): the plugin reaches nothing but what we import.
        let wasi = WasiCtxBuilder::new().stdout(stdout.clone()).stderr(stderr.clone()).build();
        let limiter = Limiter { memory_bytes: manifest.limits.memory_bytes(), memory_hit: false };
        CallState {
            wasi,
            table: ResourceTable::new(),
            limiter,
            manifest,
            plugin,
            entities,
            unit,
            stdout,
            stderr,
            log_bytes: 0,
        }
    }

    /// Sends what the plugin printed to the host's log and returns the stderr text, which
    /// holds a Rust plugin's panic message.
    pub(super) fn flush_stdio(&self) -> String {
        let stderr = String::from_utf8_lossy(&self.stderr.contents()).into_owned();
        for line in String::from_utf8_lossy(&self.stdout.contents()).lines() {
            tracing::info!(plugin = %self.plugin, stream = "stdout", "{line}");
        }
        for line in stderr.lines() {
            tracing::warn!(plugin = %self.plugin, stream = "stderr", "{line}");
        }
        stderr
    }

    fn unit(&mut self, entity: &str) -> Result<&mut Box<dyn UnitOfWork>, String> {
        if !self.manifest.entities.iter().any(|allowed| allowed == entity) {
            return Err(format!("entity {entity} is not listed in the manifest of {}", self.plugin));
        }
        self.unit.as_mut().ok_or_else(|| "only actions have a unit of work".to_owned())
    }
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

/// Caps a call's memory and remembers whether the cap was hit, so a trap that follows can be
/// reported as what it is.
pub(super) struct Limiter {
    memory_bytes: usize,
    pub(super) memory_hit: bool,
}

impl ResourceLimiter for Limiter {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        let allowed = desired <= self.memory_bytes;
        self.memory_hit |= !allowed;
        Ok(allowed)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}

impl types::Host for CallState {}

impl host::Host for CallState {
    fn log(&mut self, level: host::Level, message: String) {
        self.log_bytes += message.len();
        if self.log_bytes > LOG_BUDGET {
            if self.log_bytes - message.len() <= LOG_BUDGET {
                tracing::warn!(plugin = %self.plugin, "log budget of {LOG_BUDGET} bytes spent; dropping the rest of this call's log");
            }
            return;
        }
        let plugin = &*self.plugin;
        match level {
            host::Level::Debug => tracing::debug!(plugin, "{message}"),
            host::Level::Info => tracing::info!(plugin, "{message}"),
            host::Level::Warn => tracing::warn!(plugin, "{message}"),
            host::Level::Error => tracing::error!(plugin, "{message}"),
        }
    }

    fn config(&mut self, key: String) -> Option<String> {
        self.manifest.config.get(&key).cloned()
    }

    /// In an action, lookups go through its unit of work, so they reach only what the unit
    /// may (the manifest's entities, the caller's companies); other roles read committed rows.
    fn lookup(&mut self, entity: String, key: Vec<types::Field>) -> Result<Option<Vec<types::Field>>, String> {
        let key = fields_in(key);
        let row = match self.unit {
            Some(_) => self.unit(&entity)?.read(&entity, &key),
            None => self.entities.lookup(&entity, &key),
        };
        row.map(|row| row.map(fields_out)).map_err(|error| format!("{error:#}"))
    }
}

impl unit_of_work::Host for CallState {
    fn read(&mut self, entity: String, key: Vec<types::Field>) -> Result<Option<Vec<types::Field>>, String> {
        let key = fields_in(key);
        let unit = self.unit(&entity)?;
        unit.read(&entity, &key).map(|row| row.map(fields_out)).map_err(|error| format!("{error:#}"))
    }

    fn find(
        &mut self,
        entity: String,
        criteria: Vec<types::Field>,
        limit: u32,
    ) -> Result<Vec<Vec<types::Field>>, String> {
        let criteria = fields_in(criteria);
        let unit = self.unit(&entity)?;
        unit.find(&entity, &criteria, limit.min(FIND_LIMIT) as usize)
            .map(|rows| rows.into_iter().map(fields_out).collect())
            .map_err(|error| format!("{error:#}"))
    }

    fn insert(&mut self, entity: String, row: Vec<types::Field>) -> Result<(), String> {
        let row = fields_in(row);
        let unit = self.unit(&entity)?;
        unit.insert(&entity, row).map_err(|error| format!("{error:#}"))
    }

    fn update(&mut self, entity: String, key: Vec<types::Field>, changes: Vec<types::Field>) -> Result<(), String> {
        let (key, changes) = (fields_in(key), fields_in(changes));
        let unit = self.unit(&entity)?;
        unit.update(&entity, &key, changes).map_err(|error| format!("{error:#}"))
    }
}
