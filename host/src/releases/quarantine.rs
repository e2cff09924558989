//! Quarantine: a serving version whose traps or limit hits spike (`faults` of the last `calls`
//! calls) is taken out of service on the call that trips it, and the version before it serves
//! again (the registry's restore). A version once quarantined is never restored to by a later
//! quarantine.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::decisions::{DecisionKind, Decisions, NewDecision};
use crate::plugin::{Fault, Plugin, Registry};

/// When a serving version is quarantined (`[quarantine]` in `wharf.toml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QuarantineSettings {
    /// Whether serving versions are watched at all.
    pub enabled: bool,
    /// Traps and limit hits that quarantine a version…
    pub faults: u32,
    /// …among its last this many calls.
    pub calls: u32,
}

impl Default for QuarantineSettings {
    fn default() -> Self {
        QuarantineSettings { enabled: true, faults: 5, calls: 50 }
    }
}

/// The last calls of one plugin's serving version.
#[derive(Debug, Default)]
struct Window {
    /// The version counted (its address: a reload makes a new one).
    version: usize,
    /// Each call's fault, oldest first.
    calls: VecDeque<Option<Fault>>,
}

impl Window {
    fn faults(&self) -> usize {
        self.calls.iter().filter(|fault| fault.is_some()).count()
    }
}

/// Watches serving versions' calls.
#[derive(Debug)]
pub(super) struct Quarantine {
    settings: QuarantineSettings,
    windows: Mutex<HashMap<String, Window>>,
    /// `name@version` and content hash of every version quarantined.
    quarantined: Mutex<HashSet<(String, String)>>,
}

impl Quarantine {
    pub(super) fn new(settings: QuarantineSettings) -> Quarantine {
        Quarantine { settings, windows: Mutex::default(), quarantined: Mutex::default() }
    }

    /// Counts a call of `plugin`; quarantines it when this call makes its faults spike.
    pub(super) fn called(&self, registry: &Registry, decisions: &Decisions, plugin: &Plugin, fault: Option<Fault>) {
        if !self.settings.enabled || self.settings.faults == 0 {
            return;
        }
        let name = &plugin.manifest().name;
        let serving = registry.by_name(name);
        if !serving.as_ref().is_some_and(|serving| std::ptr::eq(Arc::as_ptr(serving), plugin)) {
            // A canary's candidate, a replay's, or a version already replaced.
            return;
        }
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        let window = windows.entry(name.clone()).or_default();
        let address = plugin as *const Plugin as usize;
        if window.version != address {
            *window = Window { version: address, calls: VecDeque::new() };
        }
        window.calls.push_back(fault);
        while window.calls.len() > self.settings.calls.max(1) as usize {
            window.calls.pop_front();
        }
        let faults = window.faults();
        if fault.is_none() || faults < self.settings.faults as usize {
            return;
        }
        let numbers = self.numbers(window);
        window.calls.clear();
        // Under the windows' lock: the calls that fault meanwhile wait, then find the version
        // replaced and are not counted twice.
        self.take_out(registry, decisions, plugin, numbers);
    }

    /// A late fault (output over its limit) of a call already counted.
    pub(super) fn faulted(&self, registry: &Registry, decisions: &Decisions, plugin: &Plugin, fault: Fault) {
        if !self.settings.enabled || self.settings.faults == 0 {
            return;
        }
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        let address = plugin as *const Plugin as usize;
        let Some(window) = windows.get_mut(&plugin.manifest().name).filter(|window| window.version == address) else {
            return;
        };
        let Some(last) = window.calls.back_mut() else { return };
        *last = Some(fault);
        if window.faults() >= self.settings.faults as usize {
            let numbers = self.numbers(window);
            window.calls.clear();
            self.take_out(registry, decisions, plugin, numbers);
        }
    }

    fn numbers(&self, window: &Window) -> serde_json::Value {
        let count = |kind: Fault| window.calls.iter().filter(|fault| **fault == Some(kind)).count();
        json!({
            "calls": window.calls.len(),
            "traps": count(Fault::Trap),
            "limit_hits": count(Fault::Limit),
            "fault_rate": window.faults() as f64 / window.calls.len().max(1) as f64,
            "threshold": { "faults": self.settings.faults, "calls": self.settings.calls },
        })
    }

    /// Restores the version before `plugin` and records both decisions.
    fn take_out(&self, registry: &Registry, decisions: &Decisions, plugin: &Plugin, numbers: serde_json::Value) {
        let name = plugin.manifest().name.clone();
        let bad = plugin.id().to_owned();
        let mut quarantined = self.quarantined.lock().unwrap_or_else(PoisonError::into_inner);
        quarantined.insert((bad.clone(), plugin.content_hash().to_owned()));
        let previous = registry.status().into_iter().find(|status| status.current.as_deref() == Some(&bad));
        let previous = previous.and_then(|status| status.previous);
        let quarantined_before = |id: &str| quarantined.iter().any(|(version, _)| version == id);
        let restored = match previous {
            Some(previous) if quarantined_before(&previous) => {
                Err(format!("the previous version {previous} was quarantined itself"))
            }
            Some(_) => registry.restore(&name).map_err(|error| format!("{error:#}")),
            None => Err("it has no previous version".to_owned()),
        };
        drop(quarantined);
        let faults = format!("{} faults in the last {} calls", self.settings.faults, self.settings.calls);
        match restored {
            Ok(restored) => {
                let serving = Some(restored.id().to_owned());
                decisions.record(vec![
                    NewDecision {
                        plugin: name.clone(),
                        kind: DecisionKind::Quarantined,
                        version: Some(bad.clone()),
                        serving: serving.clone(),
                        reason: format!("{bad} was taken out of service: {faults} or more (traps and limit hits)"),
                        numbers: numbers.clone(),
                    },
                    NewDecision {
                        plugin: name,
                        kind: DecisionKind::Restored,
                        version: serving.clone(),
                        serving,
                        reason: format!("{} serves again in place of the quarantined {bad}", restored.id()),
                        numbers,
                    },
                ]);
            }
            Err(why) => decisions.record(vec![NewDecision {
                plugin: name,
                kind: DecisionKind::Quarantined,
                version: Some(bad.clone()),
                serving: Some(bad.clone()),
                reason: format!("{bad} reached {faults} but goes on serving: nothing to restore, {why}"),
                numbers,
            }]),
        }
    }
}
