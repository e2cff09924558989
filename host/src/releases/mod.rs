//! Safe releases of plugin versions, for a server: a candidate version is replayed over
//! recorded messages before it serves ([`replay`]), canaried on a share of executions
//! ([`canary`]) and promoted or rolled back on its numbers, and a serving version whose traps
//! or limit hits spike is quarantined ([`quarantine`]). Every decision is recorded in the
//! server database with its numbers ([`decisions`]), logged, and shown by the management API.
//!
//! Candidates live in the deployment's `candidates/` directory (a `.wasm` with its `.toml`),
//! out of the watched plugin directory: a candidate serves only its canary's share until it
//! is promoted, which places its files in the plugin directory over the serving version's.
pub mod canary;
pub mod decisions;
pub mod quarantine;
pub mod replay;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use serde_json::{Value as Json, json};

pub use canary::{Arm, Canary, CanaryRequest, Verdict};
pub use decisions::{Decision, DecisionKind, Decisions, NewDecision};
pub use quarantine::QuarantineSettings;

use crate::jobs::Database;
use crate::pipeline::{Pipeline, Project};
use crate::plugin::{CallObserver, Fault, Plugin, Registry};
use crate::store::Execution;

/// The directory of candidate versions, in the deployment directory.
pub const CANDIDATES_DIR: &str = "candidates";

/// How often running canaries are looked at for the end of their window.
const CANARY_TICK: Duration = Duration::from_millis(100);

/// Release control of one server's plugins.
#[derive(Debug)]
pub struct Releases {
    registry: Arc<Registry>,
    decisions: Decisions,
    quarantine: quarantine::Quarantine,
    /// Running canaries, by plugin name.
    canaries: Mutex<HashMap<String, Arc<Canary>>>,
    plugins_dir: PathBuf,
    candidates_dir: PathBuf,
}

/// Which version an execution runs with, to report its outcome to the canary.
#[derive(Debug)]
pub struct Ticket {
    canary: Weak<Canary>,
    arm: Arm,
}

impl Releases {
    /// Release control over `registry`, whose plugins live in `plugins_dir` of the deployment
    /// in `deployment_dir`, recording decisions in `database`. Observes every call of the
    /// registry's runtime. A canary the previous process left running is recorded as
    /// abandoned.
    pub fn open(
        database: Database,
        registry: Arc<Registry>,
        deployment_dir: &Path,
        plugins_dir: PathBuf,
        settings: QuarantineSettings,
    ) -> Result<Arc<Releases>> {
        let decisions = Decisions::new(database);
        abandon_left_canaries(&decisions)?;
        let releases = Arc::new(Releases {
            registry,
            decisions,
            quarantine: quarantine::Quarantine::new(settings),
            canaries: Mutex::default(),
            plugins_dir,
            candidates_dir: deployment_dir.join(CANDIDATES_DIR),
        });
        let observer: Arc<dyn CallObserver> = releases.clone();
        if !releases.registry.runtime().observe_calls(&observer) {
            tracing::warn!("the plugin runtime has another observer: canaries and quarantine do not see its calls");
        }
        start_ticker(Arc::downgrade(&releases))?;
        Ok(releases)
    }

    /// The decisions record.
    pub fn decisions(&self) -> &Decisions {
        &self.decisions
    }

    /// The directory candidates are read from.
    pub fn candidates_dir(&self) -> &Path {
        &self.candidates_dir
    }

    /// The pipeline an execution of `project` runs with: the candidate's, for the share of a
    /// running canary of a plugin the project uses; else `pipeline`. The ticket goes back to
    /// [`Releases::finished`] with the outcome.
    pub fn route(&self, pipeline: &Pipeline, project: &Project) -> (Pipeline, Option<Ticket>) {
        let canary = self.lock().values().find(|canary| uses(project, &canary.plugin)).cloned();
        let Some(canary) = canary else { return (pipeline.clone(), None) };
        let arm = canary.next_arm();
        let ticket = Some(Ticket { canary: Arc::downgrade(&canary), arm });
        if arm == Arm::Serving {
            return (pipeline.clone(), ticket);
        }
        match pipeline.registry.with_version(canary.candidate.clone()) {
            Ok(registry) => (Pipeline { registry: Arc::new(registry), ..pipeline.clone() }, ticket),
            Err(error) => {
                tracing::warn!(
                    plugin = canary.plugin,
                    "the canary's candidate cannot serve beside the others: {error:#}"
                );
                (pipeline.clone(), None)
            }
        }
    }

    /// Counts how an execution routed with `ticket` ended (`None`: it could not run), and
    /// rolls its canary back at once when that crosses a threshold.
    pub fn finished(&self, ticket: Option<Ticket>, execution: Option<&Execution>) {
        let Some(canary) = ticket.and_then(|ticket| ticket.canary.upgrade().map(|canary| (canary, ticket.arm))) else {
            return;
        };
        canary.0.finished(canary.1, execution);
        self.evaluate(&canary.0);
    }

    /// Starts a canary of the candidate file `request.candidate` for the plugin `plugin`.
    /// Blocking: the candidate is compiled and started once.
    pub fn start_canary(&self, plugin: &str, request: CanaryRequest) -> Result<Json> {
        request.check()?;
        let file = self.candidate_file(&request.candidate)?;
        let candidate = replay::load_candidate(&self.registry, &file)?;
        if candidate.manifest().name != plugin {
            bail!("candidate {} is plugin {}, not {plugin}", request.candidate, candidate.manifest().name);
        }
        let Some(serving) = self.registry.by_name(plugin) else {
            bail!("plugin {plugin} does not serve: place its first version in the plugin directory instead");
        };
        // The candidate must be able to serve beside the other plugins.
        self.registry.with_version(candidate.clone())?;
        let canary = {
            let mut canaries = self.lock();
            if canaries.contains_key(plugin) {
                bail!("plugin {plugin} has a canary running already: promote or abort it first");
            }
            let canary = Arc::new(Canary::new(candidate, file, serving, request));
            canaries.insert(plugin.to_owned(), canary.clone());
            canary
        };
        let numbers = canary.json();
        self.decisions.record_blocking(NewDecision {
            plugin: plugin.to_owned(),
            kind: DecisionKind::CanaryStarted,
            version: Some(canary.candidate.id().to_owned()),
            serving: Some(canary.serving.id().to_owned()),
            reason: format!(
                "{} takes {} of executions in place of {} for {}",
                canary.candidate.id(),
                canary.request.share,
                canary.serving.id(),
                humantime_serde::re::humantime::format_duration(canary.request.window)
            ),
            numbers: numbers.clone(),
        })?;
        Ok(numbers)
    }

    /// The canary of `plugin`, as the API shows it.
    pub fn canary(&self, plugin: &str) -> Option<Json> {
        self.lock().get(plugin).map(|canary| canary.json())
    }

    /// Every running canary, by plugin name.
    pub fn canaries(&self) -> Vec<Json> {
        let mut canaries: Vec<Arc<Canary>> = self.lock().values().cloned().collect();
        canaries.sort_by(|a, b| a.plugin.cmp(&b.plugin));
        canaries.iter().map(|canary| canary.json()).collect()
    }

    /// Ends the canary of `plugin` by hand: `promote` makes the candidate serve, else it is
    /// rolled back. `who` names the operator in the decision. Blocking.
    pub fn end_by_hand(&self, plugin: &str, promote: bool, who: &str) -> Result<Decision> {
        let Some(canary) = self.lock().remove(plugin) else { bail!("plugin {plugin} has no canary running") };
        match promote {
            true => self.promote(&canary, &format!("promoted by hand by {who}")),
            false => self.roll_back(&canary, &format!("rolled back by hand by {who}")),
        }?;
        let latest = self.decisions.list_blocking(Some(plugin), 1)?;
        latest.into_iter().next().context("the decision was not recorded")
    }

    /// Looks at every running canary: rolls back, promotes or keeps each.
    fn evaluate_all(&self) {
        let canaries: Vec<Arc<Canary>> = self.lock().values().cloned().collect();
        for canary in canaries {
            self.evaluate(&canary);
        }
    }

    /// Acts on what `canary`'s numbers say; the canary is taken off the list by whoever acts.
    fn evaluate(&self, canary: &Arc<Canary>) {
        let serving_now = self.registry.by_name(&canary.plugin);
        let verdict = match serving_now {
            Some(now) if Arc::ptr_eq(&now, &canary.serving) => canary.verdict(),
            now => {
                let now = now.map_or_else(|| "nothing".to_owned(), |now| now.id().to_owned());
                if self.claim(canary) {
                    self.record(
                        canary,
                        DecisionKind::Abandoned,
                        Some(now.clone()),
                        &format!(
                            "the canary of {} ended: the serving version changed during it ({now} serves now)",
                            canary.candidate.id()
                        ),
                    );
                }
                return;
            }
        };
        let outcome = match verdict {
            Verdict::Running => return,
            Verdict::RollBack(reason) if self.claim(canary) => self.roll_back(canary, &reason),
            Verdict::Promote if self.claim(canary) => self.promote(canary, "its window ended within every threshold"),
            // Another thread acted on it first.
            _ => return,
        };
        if let Err(error) = outcome {
            tracing::error!(plugin = canary.plugin, "cannot end the canary: {error:#}");
        }
    }

    /// Takes `canary` off the running list; `false` when it was not on it any more.
    fn claim(&self, canary: &Arc<Canary>) -> bool {
        let mut canaries = self.lock();
        match canaries.get(&canary.plugin) {
            Some(running) if Arc::ptr_eq(running, canary) => canaries.remove(&canary.plugin).is_some(),
            _ => false,
        }
    }

    fn roll_back(&self, canary: &Canary, reason: &str) -> Result<()> {
        let reason = format!("{} was rolled back: {reason}", canary.candidate.id());
        self.record(canary, DecisionKind::RolledBack, Some(canary.serving.id().to_owned()), &reason);
        Ok(())
    }

    /// Places the candidate's files over the serving version's in the plugin directory and
    /// loads them: the candidate serves, and the version it replaces is the one a restore
    /// brings back.
    fn promote(&self, canary: &Canary, reason: &str) -> Result<()> {
        let serving =
            self.registry.status().into_iter().find(|status| status.current.as_deref() == Some(canary.serving.id()));
        let Some(serving) = serving else {
            let reason =
                format!("{} cannot be promoted: {} no longer serves", canary.candidate.id(), canary.serving.id());
            self.record(canary, DecisionKind::Abandoned, None, &reason);
            return Ok(());
        };
        let loaded = place_candidate(&canary.candidate_file, &serving.file)
            .and_then(|()| self.registry.load_file(&serving.file));
        match loaded {
            Ok(plugin) => {
                let reason = format!("{} was promoted in place of {}: {reason}", plugin.id(), canary.serving.id());
                self.record(canary, DecisionKind::Promoted, Some(plugin.id().to_owned()), &reason);
            }
            Err(error) => {
                let reason = format!("{} could not be promoted and was rolled back: {error:#}", canary.candidate.id());
                self.record(canary, DecisionKind::RolledBack, Some(canary.serving.id().to_owned()), &reason);
            }
        }
        Ok(())
    }

    fn record(&self, canary: &Canary, kind: DecisionKind, serving: Option<String>, reason: &str) {
        let decision = NewDecision {
            plugin: canary.plugin.clone(),
            kind,
            version: Some(canary.candidate.id().to_owned()),
            serving,
            reason: reason.to_owned(),
            numbers: canary.json(),
        };
        if let Err(error) = self.decisions.record_blocking(decision) {
            tracing::error!(plugin = canary.plugin, "cannot record a release decision: {error:#}");
        }
    }

    /// The candidate `name` in the candidates directory: a plain `.wasm` file name, so no
    /// client names a path.
    pub fn candidate_file(&self, name: &str) -> Result<PathBuf> {
        let plain = Path::new(name).file_name().is_some_and(|file| file == name) && !name.starts_with('.');
        if !plain || !name.ends_with(".wasm") {
            bail!("the candidate is named by its .wasm file name in the deployment's {CANDIDATES_DIR}/ directory");
        }
        let file = self.candidates_dir.join(name);
        if !file.is_file() {
            bail!("no candidate {name} in the deployment's {CANDIDATES_DIR}/ directory");
        }
        Ok(file)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Canary>>> {
        self.canaries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The plugin directory, where promoted candidates go.
    pub fn plugins_dir(&self) -> &Path {
        &self.plugins_dir
    }
}

impl CallObserver for Releases {
    fn called(&self, plugin: &Plugin, fault: Option<Fault>) {
        if let Some(canary) = self.lock().get(&plugin.manifest().name).cloned() {
            canary.called(plugin, fault, false);
        }
        self.quarantine.called(&self.registry, &self.decisions, plugin, fault);
    }

    fn faulted(&self, plugin: &Plugin, fault: Fault) {
        if let Some(canary) = self.lock().get(&plugin.manifest().name).cloned() {
            canary.called(plugin, Some(fault), true);
        }
        self.quarantine.faulted(&self.registry, &self.decisions, plugin, fault);
    }
}

/// Whether `project` runs plugin `name` in any of its stages.
pub fn uses(project: &Project, name: &str) -> bool {
    project.entities.iter().any(|entity| {
        [&entity.transform, &entity.mapper, &entity.filter].into_iter().flatten().any(|used| used == name)
    })
}

/// Copies every file of the candidate (`<stem>.*`: the component, its manifest, its
/// signature) over the serving version's `serving` (`<stem>.wasm`), each by rename, the
/// component last, so a watcher that wakes on it finds the rest in place.
fn place_candidate(candidate: &Path, serving: &Path) -> Result<()> {
    let name = |path: &Path| path.file_stem().and_then(|stem| stem.to_str()).map(str::to_owned);
    let (Some(dir), Some(stem), Some(serving_stem)) = (candidate.parent(), name(candidate), name(serving)) else {
        bail!("{} is not a candidate file", candidate.display());
    };
    let prefix = format!("{stem}.");
    let mut suffixes: Vec<String> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.strip_prefix(&prefix).map(str::to_owned))
        .collect();
    suffixes.sort_by_key(|suffix| suffix == "wasm");
    let target_dir = serving.parent().context("the serving file has no directory")?;
    for suffix in suffixes {
        let (from, to) = (dir.join(format!("{stem}.{suffix}")), target_dir.join(format!("{serving_stem}.{suffix}")));
        if !from.is_file() {
            continue;
        }
        let staged = tempfile::NamedTempFile::new_in(target_dir)?;
        std::fs::copy(&from, staged.path()).with_context(|| format!("cannot copy {}", from.display()))?;
        staged.persist(&to).with_context(|| format!("cannot write {}", to.display()))?;
    }
    Ok(())
}

/// Records as abandoned every canary the record shows started and never ended.
fn abandon_left_canaries(decisions: &Decisions) -> Result<()> {
    let mut latest: HashMap<String, Decision> = HashMap::new();
    for decision in decisions.list_blocking(None, 10_000)?.into_iter().rev() {
        latest.insert(decision.plugin.clone(), decision);
    }
    for decision in latest.into_values().filter(|decision| decision.kind == DecisionKind::CanaryStarted) {
        decisions.record_blocking(NewDecision {
            plugin: decision.plugin.clone(),
            kind: DecisionKind::Abandoned,
            version: decision.version.clone(),
            serving: decision.serving.clone(),
            reason: format!(
                "the canary of {} ended without a verdict: the server stopped during it",
                decision.version.as_deref().unwrap_or("the candidate")
            ),
            numbers: json!({ "started": decision.at, "canary": decision.numbers }),
        })?;
    }
    Ok(())
}

/// Looks at the running canaries every [`CANARY_TICK`] while the releases live.
fn start_ticker(releases: Weak<Releases>) -> Result<()> {
    std::thread::Builder::new()
        .name("wharf-canary".into())
        .spawn(move || {
            while let Some(releases) = releases.upgrade() {
                releases.evaluate_all();
                drop(releases);
                std::thread::sleep(CANARY_TICK);
            }
        })
        .context("cannot start the canary thread")?;
    Ok(())
}
