//! What one call's store holds, and the host functions plugins import.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use rand::SeedableRng as _;
use wasmtime::ResourceLimiter;
use wasmtime::component::{Resource, ResourceTable};
use wasmtime_wasi::p2::bindings::clocks::monotonic_clock;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::p2::{DynPollable, Pollable};
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use super::bindings::{host, types, unit_of_work};
use super::convert::{fields_in, fields_out};
use super::entities::{Entities, UnitOfWork};
use super::manifest::Manifest;
use super::outbound::OutboundCall;

/// Log and stdio bytes one call may produce. A plugin that logs in a loop must not fill the
/// host's disk; past this its lines are dropped and one warning says so.
const LOG_BUDGET: usize = 64 * 1024;

/// Rows one `find` may return, whatever the plugin asks for.
const FIND_LIMIT: u32 = 10_000;

/// The resolution of the clocks a plugin reads: coarse enough to blunt timing channels
/// between calls, fine enough to measure a call's own work.
const CLOCK_RESOLUTION: Duration = Duration::from_millis(1);

/// Random bytes one `wasi:random` request may ask for; the host allocates them.
const MAX_RANDOM_BYTES: usize = 1024 * 1024;

/// The seed of every call's generator: randomness is the same in every call, so a call's
/// result depends on its input alone and a replay gives the same answer.
const RANDOM_SEED: u64 = 0x7768_6172_6621;

pub(crate) struct CallState {
    /// When the call started: its monotonic clock's zero.
    started: Instant,
    /// When the call must end: no wait a plugin asks for lasts past it.
    pub(super) deadline: Instant,
    /// Whether the plugin asked to wait past the deadline (and was woken at it instead).
    pub(super) waited_past_deadline: bool,
    wasi: WasiCtx,
    table: ResourceTable,
    pub(super) limiter: Limiter,
    pub(super) manifest: Arc<Manifest>,
    /// `name@version`, which logs go by.
    pub(super) plugin: Arc<str>,
    entities: Arc<dyn Entities>,
    pub(super) unit: Option<Box<dyn UnitOfWork>>,
    stdout: MemoryOutputPipe,
    stderr: MemoryOutputPipe,
    /// How much of stdout and stderr has been sent to the host's log.
    flushed: (usize, usize),
    log_bytes: usize,
    /// Values this call adds to the manifest's `[config]` (the stylesheet files an XSLT
    /// transform may read), answered before the manifest's own.
    pub(super) call_config: Option<Arc<std::collections::HashMap<String, String>>>,
    /// Calls to web services: whether this call may make them, and how many it made.
    pub(super) outbound: OutboundCall,
}

impl CallState {
    pub(super) fn new(
        manifest: Arc<Manifest>,
        plugin: Arc<str>,
        entities: Arc<dyn Entities>,
        unit: Option<Box<dyn UnitOfWork>>,
        outbound: OutboundCall,
    ) -> CallState {
        let stdout = MemoryOutputPipe::new(LOG_BUDGET);
        let stderr = MemoryOutputPipe::new(LOG_BUDGET);
        let started = Instant::now();
        // No preopened directories, no environment, no arguments, no sockets (WASI's default
        // denies TCP, UDP and name lookup): the plugin reaches nothing but what we import.
        // The clocks are the call's own (the wall clock stands at the call's start, the
        // monotonic clock counts from it) and randomness is a fixed-seed generator, as the
        // contract's header says.
        let wall = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
        let wasi = WasiCtxBuilder::new()
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .wall_clock(CallWallClock(truncate(wall)))
            .monotonic_clock(CallMonotonicClock(started))
            .secure_random(rand::rngs::StdRng::seed_from_u64(RANDOM_SEED))
            .insecure_random(rand::rngs::StdRng::seed_from_u64(RANDOM_SEED + 1))
            .insecure_random_seed(u128::from(RANDOM_SEED))
            .max_random_size(MAX_RANDOM_BYTES as u64)
            .build();
        let limiter =
            Limiter { memory_bytes: manifest.limits.memory_bytes(), memory_hit: false, held_bytes: 0, peak_bytes: 0 };
        CallState {
            started,
            deadline: started,
            waited_past_deadline: false,
            wasi,
            table: ResourceTable::new(),
            limiter,
            manifest,
            plugin,
            entities,
            unit,
            stdout,
            stderr,
            flushed: (0, 0),
            log_bytes: 0,
            call_config: None,
            outbound,
        }
    }

    /// Starts a call: its clock counts from now, its time limit and its budgets of log lines
    /// and outbound requests are whole again. An instance reused for the next batch of an
    /// execution starts each call here, as a fresh one does.
    pub(super) fn begin(&mut self) {
        self.started = Instant::now();
        self.deadline = self.started + Duration::from_millis(self.manifest.limits.timeout_ms);
        self.waited_past_deadline = false;
        self.log_bytes = 0;
        self.outbound.begin();
    }

    /// Sends what the plugin printed since the last flush to the host's log and returns that
    /// stderr text, which holds a Rust plugin's panic message.
    pub(super) fn flush_stdio(&mut self) -> String {
        let (stdout, stderr) = (self.stdout.contents(), self.stderr.contents());
        let (stdout_from, stderr_from) = std::mem::replace(&mut self.flushed, (stdout.len(), stderr.len()));
        // What a plugin prints may hold a secret a web service echoed back.
        let stderr = self.outbound.redact(&String::from_utf8_lossy(&stderr[stderr_from..]));
        for line in self.outbound.redact(&String::from_utf8_lossy(&stdout[stdout_from..])).lines() {
            tracing::info!(plugin = %self.plugin, stream = "stdout", "{line}");
        }
        for line in stderr.lines() {
            tracing::warn!(plugin = %self.plugin, stream = "stderr", "{line}");
        }
        stderr
    }

    /// Whether the instance may serve another call: its stdio pipes, which cannot be emptied,
    /// still have room for a call's worth of output (half their budget). An instance that
    /// printed more is dropped, so that a later call's panic message is never lost to a full
    /// pipe.
    pub(super) fn stdio_has_room(&self) -> bool {
        self.flushed.0.max(self.flushed.1) <= LOG_BUDGET / 2
    }

    fn unit(&mut self, entity: &str) -> Result<&mut Box<dyn UnitOfWork>, String> {
        if !self.manifest.entities.iter().any(|allowed| allowed == entity) {
            return Err(format!("entity {entity} is not listed in the manifest of {}", self.plugin));
        }
        self.unit.as_mut().ok_or_else(|| "only actions have a unit of work".to_owned())
    }
}

/// The wall clock a call reads: the time the call started, standing still.
struct CallWallClock(Duration);

impl HostWallClock for CallWallClock {
    fn resolution(&self) -> Duration {
        CLOCK_RESOLUTION
    }

    fn now(&self) -> Duration {
        self.0
    }
}

/// The monotonic clock a call reads: nanoseconds since the call started, in steps of
/// [`CLOCK_RESOLUTION`], so it tells nothing of the host's uptime or other calls.
struct CallMonotonicClock(Instant);

impl HostMonotonicClock for CallMonotonicClock {
    fn resolution(&self) -> u64 {
        CLOCK_RESOLUTION.as_nanos() as u64
    }

    fn now(&self) -> u64 {
        truncate(self.0.elapsed()).as_nanos() as u64
    }
}

/// `duration` rounded down to [`CLOCK_RESOLUTION`].
fn truncate(duration: Duration) -> Duration {
    let step = CLOCK_RESOLUTION.as_nanos();
    Duration::from_nanos(u64::try_from(duration.as_nanos() / step * step).unwrap_or(u64::MAX))
}

/// A wait on the monotonic clock, over when it is ready.
struct Sleep(tokio::time::Instant);

#[wasmtime_wasi::async_trait]
impl Pollable for Sleep {
    async fn ready(&mut self) {
        tokio::time::sleep_until(self.0).await;
    }
}

impl CallState {
    /// A pollable ready after `duration`, or at the call's deadline if that comes first. A
    /// blocked `poll` is host code, which the epoch cannot interrupt; capped here it returns
    /// by the deadline, and the epoch stops the plugin as soon as it runs again (a call that
    /// returns instead still counts as stopped: it asked to wait past its limit).
    fn sleep(&mut self, duration: Duration) -> wasmtime::Result<Resource<DynPollable>> {
        let now = Instant::now();
        let left = self.deadline.saturating_duration_since(now);
        self.waited_past_deadline |= duration > left;
        let wake = now + duration.min(left);
        let sleep = self.table.push(Sleep(tokio::time::Instant::from_std(wake)))?;
        wasmtime_wasi::p2::subscribe(&mut self.table, sleep)
    }
}

/// The monotonic clock, with waits that end by the call's deadline. Linked over
/// wasmtime-wasi's, whose waits last as long as the plugin asks.
impl monotonic_clock::Host for CallState {
    fn now(&mut self) -> wasmtime::Result<monotonic_clock::Instant> {
        Ok(CallMonotonicClock(self.started).now())
    }

    fn resolution(&mut self) -> wasmtime::Result<monotonic_clock::Duration> {
        Ok(CallMonotonicClock(self.started).resolution())
    }

    fn subscribe_instant(&mut self, when: monotonic_clock::Instant) -> wasmtime::Result<Resource<DynPollable>> {
        let now = CallMonotonicClock(self.started).now();
        self.sleep(Duration::from_nanos(when.saturating_sub(now)))
    }

    fn subscribe_duration(&mut self, duration: monotonic_clock::Duration) -> wasmtime::Result<Resource<DynPollable>> {
        self.sleep(Duration::from_nanos(duration))
    }
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

/// Caps a call's memory and remembers whether the cap was hit, so a trap that follows can be
/// reported as what it is, and the most memory the call held (`wharf plugin test`'s figure).
pub(super) struct Limiter {
    memory_bytes: usize,
    pub(super) memory_hit: bool,
    /// Linear memory the call's instances hold now, all memories together.
    held_bytes: usize,
    /// The most `held_bytes` has been.
    peak_bytes: usize,
}

impl Limiter {
    /// The most linear memory the call held at once, in bytes.
    pub(super) fn peak_bytes(&self) -> usize {
        self.peak_bytes
    }
}

impl ResourceLimiter for Limiter {
    fn memory_growing(&mut self, current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        let allowed = desired <= self.memory_bytes;
        self.memory_hit |= !allowed;
        if allowed {
            // Memories only grow, and a new one grows from 0 to its initial size.
            self.held_bytes += desired.saturating_sub(current);
            self.peak_bytes = self.peak_bytes.max(self.held_bytes);
        }
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
        let message = self.outbound.redact(&message);
        match level {
            host::Level::Debug => tracing::debug!(plugin, "{message}"),
            host::Level::Info => tracing::info!(plugin, "{message}"),
            host::Level::Warn => tracing::warn!(plugin, "{message}"),
            host::Level::Error => tracing::error!(plugin, "{message}"),
        }
    }

    fn config(&mut self, key: String) -> Option<String> {
        if let Some(value) = self.call_config.as_ref().and_then(|config| config.get(&key)) {
            return Some(value.clone());
        }
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
