//! What the runtime tells an observer of every plugin call: which version was called and
//! whether the call hit a fault (a trap or a limit). The server's release control counts
//! these to judge a canary and to quarantine a version whose faults spike.

use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use super::runtime::{CallErrorKind, Plugin};

/// Hears the outcome of plugin calls. Called on the calling thread, right after the call and
/// before its caller sees the outcome, so it must be quick; it may swap versions in the
/// registry (no registry lock is held then).
pub trait CallObserver: Send + Sync {
    /// `plugin` was called; `fault` is what stopped the call, if anything did.
    fn called(&self, plugin: &Plugin, fault: Option<Fault>);

    /// A call of `plugin` already reported to [`CallObserver::called`] was refused afterwards
    /// for `fault` (its output was over the limit).
    fn faulted(&self, plugin: &Plugin, fault: Fault);
}

/// A call's fault: what the plugin did, rather than what it answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// It trapped: a panic, an out-of-bounds access, a stack overflow, an exit.
    Trap,
    /// It ran into a limit of its manifest: time, memory or output.
    Limit,
}

impl Fault {
    /// The fault `kind` stands for: none for an error the plugin returned, a malformed
    /// answer, or a host that was busy or failed.
    pub fn of(kind: &CallErrorKind) -> Option<Fault> {
        match kind {
            CallErrorKind::Trap(_) => Some(Fault::Trap),
            CallErrorKind::Timeout { .. } | CallErrorKind::Memory { .. } | CallErrorKind::Output { .. } => {
                Some(Fault::Limit)
            }
            CallErrorKind::Busy { .. }
            | CallErrorKind::Failed(_)
            | CallErrorKind::Malformed(_)
            | CallErrorKind::Unsupported(_)
            | CallErrorKind::Host(_) => None,
        }
    }
}

/// The observer of one runtime, set at most once.
#[derive(Default)]
pub(super) struct Observers {
    observer: OnceLock<Weak<dyn CallObserver>>,
}

impl Observers {
    /// Sets the observer; `false` when one was set already.
    pub(super) fn set(&self, observer: &Arc<dyn CallObserver>) -> bool {
        self.observer.set(Arc::downgrade(observer)).is_ok()
    }

    /// Tells the observer, if there is one still alive, that `plugin` was called.
    pub(super) fn called(&self, plugin: &Plugin, kind: Option<&CallErrorKind>) {
        if let Some(observer) = self.observer.get().and_then(Weak::upgrade) {
            observer.called(plugin, kind.and_then(Fault::of));
        }
    }

    /// Tells the observer, if there is one still alive, that a call of `plugin` faulted late.
    pub(super) fn faulted(&self, plugin: &Plugin, kind: &CallErrorKind) {
        if let (Some(observer), Some(fault)) = (self.observer.get().and_then(Weak::upgrade), Fault::of(kind)) {
            observer.faulted(plugin, fault);
        }
    }
}

/// Records a call of `plugin` in the metrics (see `crate::metrics`) and in the version's own
/// [`CallStats`]: how long it ran (`None` when it never started, for want of a call slot) and
/// what stopped it, if anything did.
pub(super) fn record(plugin: &Plugin, ran: Option<Duration>, kind: Option<&CallErrorKind>) {
    let manifest = plugin.manifest();
    let labels = [("plugin", manifest.name.clone()), ("version", manifest.version.clone())];
    ::metrics::counter!(crate::metrics::PLUGIN_CALLS, &labels).increment(1);
    plugin.call_stats().calls.fetch_add(1, Relaxed);
    if let Some(ran) = ran {
        ::metrics::histogram!(crate::metrics::PLUGIN_CALL_DURATION, &labels).record(ran.as_secs_f64());
        plugin.call_stats().ran(ran);
    }
    if let Some(kind) = kind {
        record_fault(plugin, kind);
    }
}

/// Records what stopped a call of `plugin`, when it was a trap or a limit: also for a call
/// refused after it returned (its output over the limit).
pub(super) fn record_fault(plugin: &Plugin, kind: &CallErrorKind) {
    let Some(stop) = Stop::of(kind) else { return };
    plugin.call_stats().stops[stop as usize].fetch_add(1, Relaxed);
    let manifest = plugin.manifest();
    let (name, version) = (manifest.name.clone(), manifest.version.clone());
    match stop {
        Stop::Trap => {
            ::metrics::counter!(crate::metrics::PLUGIN_TRAPS, "plugin" => name, "version" => version).increment(1)
        }
        limit => ::metrics::counter!(crate::metrics::PLUGIN_LIMIT_HITS, "plugin" => name, "version" => version, "limit" => limit.label())
            .increment(1),
    }
}

/// What stopped a call: a trap, or one of the limits (`busy`: no call slot was free).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    Trap,
    Time,
    Memory,
    Output,
    Busy,
}

impl Stop {
    fn of(kind: &CallErrorKind) -> Option<Stop> {
        Some(match kind {
            CallErrorKind::Trap(_) => Stop::Trap,
            CallErrorKind::Timeout { .. } => Stop::Time,
            CallErrorKind::Memory { .. } => Stop::Memory,
            CallErrorKind::Output { .. } => Stop::Output,
            CallErrorKind::Busy { .. } => Stop::Busy,
            CallErrorKind::Failed(_)
            | CallErrorKind::Malformed(_)
            | CallErrorKind::Unsupported(_)
            | CallErrorKind::Host(_) => return None,
        })
    }

    /// The `limit` label of [`crate::metrics::PLUGIN_LIMIT_HITS`].
    fn label(self) -> &'static str {
        match self {
            Stop::Trap => "trap",
            Stop::Time => "time",
            Stop::Memory => "memory",
            Stop::Output => "output",
            Stop::Busy => "busy",
        }
    }
}

/// The calls of one loaded plugin version since it was loaded, counted beside the metrics so
/// the console can show each version's figures without a Prometheus to ask.
#[derive(Default)]
pub(super) struct CallStats {
    calls: AtomicU64,
    /// Indexed by [`Stop`].
    stops: [AtomicU64; 5],
    ran_nanos: AtomicU64,
    /// Calls that ran, counted in [`crate::metrics::PLUGIN_CALL_BUCKETS`] (the last one: longer
    /// than every bucket).
    buckets: [AtomicU64; crate::metrics::PLUGIN_CALL_BUCKETS.len() + 1],
}

impl CallStats {
    fn ran(&self, ran: Duration) {
        self.ran_nanos.fetch_add(u64::try_from(ran.as_nanos()).unwrap_or(u64::MAX), Relaxed);
        let seconds = ran.as_secs_f64();
        let bucket = crate::metrics::PLUGIN_CALL_BUCKETS.iter().position(|bound| seconds <= *bound);
        self.buckets[bucket.unwrap_or(crate::metrics::PLUGIN_CALL_BUCKETS.len())].fetch_add(1, Relaxed);
    }

    /// The figures as they are now.
    pub(super) fn snapshot(&self) -> CallCounts {
        let count = |stop: Stop| self.stops[stop as usize].load(Relaxed);
        let buckets: Vec<u64> = self.buckets.iter().map(|bucket| bucket.load(Relaxed)).collect();
        let ran: u64 = buckets.iter().sum();
        let mut seen = 0;
        let p99_bucket = buckets.iter().position(|in_bucket| {
            seen += in_bucket;
            seen * 100 >= ran * 99
        });
        CallCounts {
            calls: self.calls.load(Relaxed),
            mean_ms: (ran > 0).then(|| self.ran_nanos.load(Relaxed) as f64 / ran as f64 / 1e6),
            p99_at_most_ms: p99_bucket
                .filter(|_| ran > 0)
                .and_then(|bucket| crate::metrics::PLUGIN_CALL_BUCKETS.get(bucket))
                .map(|bound| bound * 1e3),
            traps: count(Stop::Trap),
            time_limit: count(Stop::Time),
            memory_limit: count(Stop::Memory),
            output_limit: count(Stop::Output),
            busy: count(Stop::Busy),
        }
    }
}

/// One plugin version's calls since it was loaded.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct CallCounts {
    /// Calls, failed and refused ones included.
    pub calls: u64,
    /// The mean time of the calls that ran, in milliseconds.
    pub mean_ms: Option<f64>,
    /// The bound of the latency bucket the 99th percentile call fell in
    /// ([`crate::metrics::PLUGIN_CALL_BUCKETS`]), in milliseconds: `None` when no call ran, or
    /// when the 99th percentile ran past the last bucket.
    pub p99_at_most_ms: Option<f64>,
    /// Calls that trapped.
    pub traps: u64,
    /// Calls stopped at the time limit.
    pub time_limit: u64,
    /// Calls stopped at the memory limit.
    pub memory_limit: u64,
    /// Calls refused for output over the limit.
    pub output_limit: u64,
    /// Calls refused because every call slot of the plugin's share was taken.
    pub busy: u64,
}
