//! A canary: a share of a job's executions that use a plugin run with a candidate version in
//! its place, for a window; the candidate's reject, trap and limit-hit rates are compared
//! with the serving version's over the same window, and past a threshold the candidate is
//! rolled back at once; otherwise it is promoted when the window ends.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};

use crate::plugin::{Fault, Plugin};
use crate::store::Execution;

/// How an operator starts a canary (`POST /manage/plugins/{name}/canary`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CanaryRequest {
    /// The candidate: a `.wasm` file name in the deployment's `candidates/` directory, with
    /// its manifest (`.toml`) beside it.
    pub candidate: String,
    /// The share of executions that use the candidate, above 0 and at most 1.
    #[serde(default = "default_share")]
    pub share: f64,
    /// How long the canary runs before the candidate is promoted.
    #[serde(with = "humantime_serde", default = "default_window")]
    #[schema(value_type = String, example = "10m")]
    pub window: Duration,
    /// Roll back when the candidate's rejected rows per row read exceed the serving
    /// version's by more than this.
    #[serde(default = "default_reject_increase")]
    pub max_reject_rate_increase: f64,
    /// Roll back when more than this share of the candidate's calls trap.
    #[serde(default)]
    pub max_trap_rate: f64,
    /// Roll back when more than this share of the candidate's calls hit a limit.
    #[serde(default)]
    pub max_limit_rate: f64,
    /// Executions the candidate must have run by the end of the window to be promoted.
    #[serde(default = "default_min_executions")]
    pub min_executions: u64,
}

fn default_share() -> f64 {
    0.1
}

fn default_window() -> Duration {
    Duration::from_secs(600)
}

fn default_reject_increase() -> f64 {
    0.01
}

fn default_min_executions() -> u64 {
    1
}

impl CanaryRequest {
    /// Refuses values no canary can run with.
    pub fn check(&self) -> Result<()> {
        if !(self.share > 0.0 && self.share <= 1.0) {
            bail!("share must be above 0 and at most 1, not {}", self.share);
        }
        if self.window.is_zero() {
            bail!("the window must be longer than 0");
        }
        for (name, value) in [
            ("max_reject_rate_increase", self.max_reject_rate_increase),
            ("max_trap_rate", self.max_trap_rate),
            ("max_limit_rate", self.max_limit_rate),
        ] {
            if !(0.0..=1.0).contains(&value) {
                bail!("{name} must be between 0 and 1, not {value}");
            }
        }
        Ok(())
    }
}

/// Which version an execution ran with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arm {
    /// The version serving when the canary began.
    Serving,
    /// The candidate.
    Candidate,
}

/// What one version did during a canary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ArmCounts {
    /// Executions routed to it that finished.
    pub executions: u64,
    /// Of those, executions that failed.
    pub failed_executions: u64,
    /// Rows read (rows staged plus rows rejected).
    pub rows: u64,
    /// Rows rejected.
    pub rejected: u64,
    /// Plugin calls of the version.
    pub calls: u64,
    /// Calls that trapped.
    pub traps: u64,
    /// Calls that hit a limit.
    pub limit_hits: u64,
}

impl ArmCounts {
    /// Rejected rows per row read.
    pub fn reject_rate(&self) -> f64 {
        ratio(self.rejected, self.rows)
    }

    /// Trapped calls per call.
    pub fn trap_rate(&self) -> f64 {
        ratio(self.traps, self.calls)
    }

    /// Calls that hit a limit per call.
    pub fn limit_rate(&self) -> f64 {
        ratio(self.limit_hits, self.calls)
    }

    fn json(&self) -> Json {
        json!({
            "executions": self.executions,
            "failed_executions": self.failed_executions,
            "rows": self.rows,
            "rejected": self.rejected,
            "reject_rate": self.reject_rate(),
            "calls": self.calls,
            "traps": self.traps,
            "trap_rate": self.trap_rate(),
            "limit_hits": self.limit_hits,
            "limit_rate": self.limit_rate(),
        })
    }
}

/// The arm of execution `n` (from 0) of a canary taking `share`: the candidate when it
/// brings the candidate's count up to the next whole `share` of the executions so far.
fn arm_of(n: u64, share: f64) -> Arm {
    let n = n as f64;
    if ((n + 1.0) * share).floor() > (n * share).floor() { Arm::Candidate } else { Arm::Serving }
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 { 0.0 } else { part as f64 / whole as f64 }
}

/// What the numbers say about a running canary.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Keep going.
    Running,
    /// Roll the candidate back, for this reason.
    RollBack(String),
    /// Promote the candidate: the window ended and it held.
    Promote,
}

/// A canary under way.
#[derive(Debug)]
pub struct Canary {
    /// The plugin's name.
    pub plugin: String,
    /// The candidate version.
    pub candidate: Arc<Plugin>,
    /// Its `.wasm` in the candidates directory.
    pub candidate_file: PathBuf,
    /// The version serving when the canary began.
    pub serving: Arc<Plugin>,
    /// How it runs.
    pub request: CanaryRequest,
    /// When it began.
    pub started: Instant,
    /// When it began, RFC 3339.
    pub started_at: String,
    /// Executions routed so far, both arms.
    routed: AtomicU64,
    /// Serving, candidate.
    counts: Mutex<[ArmCounts; 2]>,
}

impl Canary {
    /// A canary of `candidate` in place of `serving`, starting now.
    pub fn new(
        candidate: Arc<Plugin>,
        candidate_file: PathBuf,
        serving: Arc<Plugin>,
        request: CanaryRequest,
    ) -> Canary {
        Canary {
            plugin: candidate.manifest().name.clone(),
            candidate,
            candidate_file,
            serving,
            request,
            started: Instant::now(),
            started_at: crate::pipeline::now(),
            routed: AtomicU64::new(0),
            counts: Mutex::default(),
        }
    }

    /// The arm of the next execution: exactly `share` of them, spread evenly, go to the
    /// candidate.
    pub fn next_arm(&self) -> Arm {
        arm_of(self.routed.fetch_add(1, Ordering::Relaxed), self.request.share)
    }

    /// Counts an execution of `arm`: its rows and rejects, or its failure.
    pub fn finished(&self, arm: Arm, execution: Option<&Execution>) {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        let counts = &mut counts[arm as usize];
        counts.executions += 1;
        let Some(execution) = execution else {
            counts.failed_executions += 1;
            return;
        };
        if execution.status == crate::store::ExecutionStatus::Failed {
            counts.failed_executions += 1;
        }
        let rejected: u64 = execution.entities.iter().map(|entity| entity.staging_error_count).sum();
        let staged: u64 = execution.entities.iter().map(|entity| entity.staging_records).sum();
        counts.rows += staged + rejected;
        counts.rejected += rejected;
    }

    /// Counts a call of `plugin`, when it is one of the canary's versions.
    pub fn called(&self, plugin: &Plugin, fault: Option<Fault>, late: bool) {
        let arm = if std::ptr::eq(Arc::as_ptr(&self.candidate), plugin) {
            Arm::Candidate
        } else if std::ptr::eq(Arc::as_ptr(&self.serving), plugin) {
            Arm::Serving
        } else {
            return;
        };
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        let counts = &mut counts[arm as usize];
        counts.calls += u64::from(!late);
        match fault {
            Some(Fault::Trap) => counts.traps += 1,
            Some(Fault::Limit) => counts.limit_hits += 1,
            None => {}
        }
    }

    /// Both arms' counts: serving, candidate.
    pub fn counts(&self) -> [ArmCounts; 2] {
        *self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// What the numbers say now.
    pub fn verdict(&self) -> Verdict {
        let [serving, candidate] = self.counts();
        let request = &self.request;
        if candidate.trap_rate() > request.max_trap_rate {
            return Verdict::RollBack(format!(
                "{} of its {} calls trapped ({:.3}), over the limit of {}",
                candidate.traps,
                candidate.calls,
                candidate.trap_rate(),
                request.max_trap_rate
            ));
        }
        if candidate.limit_rate() > request.max_limit_rate {
            return Verdict::RollBack(format!(
                "{} of its {} calls hit a limit ({:.3}), over the limit of {}",
                candidate.limit_hits,
                candidate.calls,
                candidate.limit_rate(),
                request.max_limit_rate
            ));
        }
        let increase = candidate.reject_rate() - serving.reject_rate();
        if candidate.executions >= request.min_executions && increase > request.max_reject_rate_increase {
            return Verdict::RollBack(format!(
                "it rejected {:.3} of rows against {:.3} for the serving version: up {increase:.3}, over the \
                 limit of {}",
                candidate.reject_rate(),
                serving.reject_rate(),
                request.max_reject_rate_increase
            ));
        }
        if self.started.elapsed() < request.window {
            return Verdict::Running;
        }
        if candidate.executions < request.min_executions {
            return Verdict::RollBack(format!(
                "only {} executions reached it in the window; it needs {} to be promoted",
                candidate.executions, request.min_executions
            ));
        }
        Verdict::Promote
    }

    /// The canary as the management API shows it, and as decisions record its numbers.
    pub fn json(&self) -> Json {
        let [serving, candidate] = self.counts();
        let request = &self.request;
        json!({
            "plugin": self.plugin,
            "candidate": self.candidate.id(),
            "candidate_file": self.candidate_file.file_name().map(|name| name.to_string_lossy()),
            "serving": self.serving.id(),
            "share": request.share,
            "window_ms": request.window.as_millis() as u64,
            "started": self.started_at,
            "elapsed_ms": self.started.elapsed().as_millis() as u64,
            "thresholds": {
                "max_reject_rate_increase": request.max_reject_rate_increase,
                "max_trap_rate": request.max_trap_rate,
                "max_limit_rate": request.max_limit_rate,
                "min_executions": request.min_executions,
            },
            "counts": { "serving": serving.json(), "candidate": candidate.json() },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exactly_the_share_of_executions_goes_to_the_candidate_spread_evenly() {
        for (share, executions, expected) in [(0.1, 100, 10), (0.5, 10, 5), (1.0, 7, 7), (0.25, 9, 2), (0.3, 10, 3)] {
            let arms: Vec<Arm> = (0..executions).map(|n| arm_of(n, share)).collect();
            let candidate = arms.iter().filter(|arm| **arm == Arm::Candidate).count();
            assert_eq!(candidate, expected, "share {share} of {executions}");
        }
        let halves: Vec<Arm> = (0..4).map(|n| arm_of(n, 0.5)).collect();
        assert_eq!(halves, [Arm::Serving, Arm::Candidate, Arm::Serving, Arm::Candidate]);
    }

    #[test]
    fn requests_no_canary_can_run_with_are_refused() {
        let request: CanaryRequest = serde_json::from_str(r#"{"candidate": "x.wasm"}"#).expect("defaults");
        assert_eq!((request.share, request.window), (0.1, Duration::from_secs(600)));
        request.check().expect("the defaults run");
        for body in [
            r#"{"candidate": "x.wasm", "share": 0}"#,
            r#"{"candidate": "x.wasm", "share": 1.5}"#,
            r#"{"candidate": "x.wasm", "window": "0s"}"#,
            r#"{"candidate": "x.wasm", "max_trap_rate": 2}"#,
        ] {
            let request: CanaryRequest = serde_json::from_str(body).expect("parses");
            assert!(request.check().is_err(), "{body}");
        }
        assert!(serde_json::from_str::<CanaryRequest>(r#"{"candidate": "x.wasm", "shares": 0.5}"#).is_err());
    }
}
