//! What the runtime tells an observer of every plugin call: which version was called and
//! whether the call hit a fault (a trap or a limit). The server's release control counts
//! these to judge a canary and to quarantine a version whose faults spike.

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

/// Records a call of `plugin` in the metrics (see `crate::metrics`): how long it ran (`None`
/// when it never started, for want of a call slot) and what stopped it, if anything did.
pub(super) fn record(plugin: &Plugin, ran: Option<Duration>, kind: Option<&CallErrorKind>) {
    let manifest = plugin.manifest();
    let labels = [("plugin", manifest.name.clone()), ("version", manifest.version.clone())];
    ::metrics::counter!(crate::metrics::PLUGIN_CALLS, &labels).increment(1);
    if let Some(ran) = ran {
        ::metrics::histogram!(crate::metrics::PLUGIN_CALL_DURATION, &labels).record(ran.as_secs_f64());
    }
    if let Some(kind) = kind {
        record_fault(plugin, kind);
    }
}

/// Records what stopped a call of `plugin`, when it was a trap or a limit: also for a call
/// refused after it returned (its output over the limit).
pub(super) fn record_fault(plugin: &Plugin, kind: &CallErrorKind) {
    let limit = match kind {
        CallErrorKind::Trap(_) => None,
        CallErrorKind::Timeout { .. } => Some("time"),
        CallErrorKind::Memory { .. } => Some("memory"),
        CallErrorKind::Output { .. } => Some("output"),
        CallErrorKind::Busy { .. } => Some("busy"),
        CallErrorKind::Failed(_)
        | CallErrorKind::Malformed(_)
        | CallErrorKind::Unsupported(_)
        | CallErrorKind::Host(_) => return,
    };
    let manifest = plugin.manifest();
    let (name, version) = (manifest.name.clone(), manifest.version.clone());
    match limit {
        None => ::metrics::counter!(crate::metrics::PLUGIN_TRAPS, "plugin" => name, "version" => version).increment(1),
        Some(limit) => {
            ::metrics::counter!(crate::metrics::PLUGIN_LIMIT_HITS, "plugin" => name, "version" => version, "limit" => limit)
                .increment(1)
        }
    }
}
