//! `wharf plugin test`: builds a plugin and runs its golden cases through the code
//! `wharf plugin run` uses, under the engine configuration a server uses, comparing each
//! output with the case's `expected.json` and holding each case to its budgets.
//!
//! A case is a folder `cases/<case>/` holding `input.<ext>` (what `wharf plugin run --input`
//! takes), an optional `case.toml` (the call's role, action, entity, company and job, `[config]`
//! values over the manifest's, `[csv]` options and `[budgets]`), an optional `entities.json`
//! (the rows an action sees) and `expected.json` (what `wharf plugin run` prints, or
//! `{"error": "<message>"}` for a call that must fail).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use serde::Deserialize;
use serde_json::{Value as Json, json};

use super::plugin::{CRATE_MANIFEST, RunOptions, build, run_sample, runtime_for};
use super::{Exit, Outcome, unusable};
use crate::formats::csv::CsvOptions;
use crate::plugin::{
    Budgets, CallError, CallErrorKind, Entities, Manifest, MemoryEntities, NoEntities, Plugin, Role, Runtime,
    RuntimeConfig,
};

/// The folder of a plugin's golden cases.
pub const CASES_DIR: &str = "cases";
/// A case's optional call settings.
pub const CASE_FILE: &str = "case.toml";
/// A case's expected output.
pub const EXPECTED_FILE: &str = "expected.json";
/// A case's optional entity rows.
pub const ENTITIES_FILE: &str = "entities.json";

/// Instantiations timed for a case's instantiate figure, whose median it is.
const INSTANTIATE_SAMPLES: usize = 9;
const KIB: f64 = 1024.0;
const MIB: f64 = 1024.0 * 1024.0;

/// `wharf plugin test`'s arguments.
#[derive(Debug, clap::Args)]
pub struct TestArgs {
    /// The plugin's folder, holding wharf-plugin.toml and cases/.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Write each case's expected.json from this run's output.
    #[arg(long)]
    pub bless: bool,
    /// Run only this case (a folder under cases/).
    #[arg(long)]
    pub case: Option<String>,
    /// Where cargo builds a Rust plugin (default: the crate's own target directory).
    #[arg(long)]
    pub target_dir: Option<PathBuf>,
    /// Where compiled plugins are kept (default: `~/.cache/wharf/plugins`).
    #[arg(long, env = "WHARF_PLUGIN_CACHE")]
    pub cache: Option<PathBuf>,
}

/// Runs `wharf plugin test`: exits 0 when every case passed, 1 when one failed, and 3 when
/// the plugin or its cases cannot be built or found.
pub fn run(args: TestArgs, out: &mut dyn Write) -> Outcome {
    let cases = case_dirs(&args.dir, args.case.as_deref()).map_err(unusable)?;
    let bench = Bench::build(&args.dir, args.target_dir.as_deref(), args.cache).map_err(unusable)?;
    writeln!(out, "built {} ({:.0} KiB)", bench.manifest.id(), bench.wasm.len() as f64 / KIB).map_err(unusable)?;
    let mut failed = 0;
    for dir in &cases {
        let passed = test_case(&bench, dir, args.bless, out).map_err(unusable)?;
        failed += usize::from(!passed);
    }
    let passed = cases.len() - failed;
    let count = if cases.len() == 1 { "1 case".to_owned() } else { format!("{} cases", cases.len()) };
    writeln!(out, "{count}: {passed} passed, {failed} failed").map_err(unusable)?;
    Ok(if failed == 0 { Exit::Success } else { Exit::Failed })
}

/// The case folders under `dir/cases`, in name order; only `only` when given.
fn case_dirs(dir: &Path, only: Option<&str>) -> Result<Vec<PathBuf>> {
    let cases_dir = dir.join(CASES_DIR);
    let entries = std::fs::read_dir(&cases_dir).with_context(|| {
        format!(
            "cannot read {}: a plugin's cases are folders there, each with an input and {EXPECTED_FILE}",
            cases_dir.display()
        )
    })?;
    let mut cases = Vec::new();
    for entry in entries {
        let path = entry.with_context(|| format!("cannot read {}", cases_dir.display()))?.path();
        if path.is_dir() {
            cases.push(path);
        }
    }
    cases.sort();
    if let Some(only) = only {
        cases.retain(|case| case.file_name().is_some_and(|name| name == only));
        if cases.is_empty() {
            bail!("there is no case {only} in {}", cases_dir.display());
        }
    }
    if cases.is_empty() {
        bail!("{} holds no case: a case is a folder with an input and {EXPECTED_FILE}", cases_dir.display());
    }
    Ok(cases)
}

/// A built plugin and the two runtimes its cases run in.
struct Bench {
    /// The component.
    wasm: Vec<u8>,
    /// Its manifest, as written.
    manifest: Manifest,
    /// The engine and limits a server runs plugins with: the case's output, wall time and
    /// instantiate time come from here.
    serving: Runtime,
    /// The same, metering fuel and memory: the case runs here a second time for its cost.
    measuring: Runtime,
}

impl Bench {
    /// Builds the plugin in `dir` into a folder of its own and starts the runtimes.
    fn build(dir: &Path, target_dir: Option<&Path>, cache: Option<PathBuf>) -> Result<Bench> {
        let out = tempfile::tempdir().context("cannot make a folder to build the plugin into")?;
        let wasm_path = build(dir, out.path(), target_dir)?;
        let wasm = std::fs::read(&wasm_path).with_context(|| format!("cannot read {}", wasm_path.display()))?;
        let manifest = Manifest::read(&dir.join(CRATE_MANIFEST))?;
        let measuring = measuring_runtime(cache.clone().or_else(crate::deployment::user_plugin_cache))?;
        let serving = runtime_for(&wasm_path, cache)?;
        Ok(Bench { wasm, manifest, serving, measuring })
    }

    /// The plugin with `case`'s config over the manifest's, in the serving and the measuring
    /// runtime.
    fn load(&self, case: &Case) -> Result<(Plugin, Plugin)> {
        let mut manifest = self.manifest.clone();
        manifest.config.extend(case.config.clone());
        let serving = self.serving.load_bytes(&self.wasm, manifest.clone())?;
        let measuring = self.measuring.load_bytes(&self.wasm, manifest)?;
        Ok((serving, measuring))
    }
}

/// A runtime that meters every call, compiling in this process (a compiler process builds
/// for the serving engine, whose code does not count fuel) with its artifacts cached beside
/// the serving ones.
fn measuring_runtime(cache_dir: Option<PathBuf>) -> Result<Runtime> {
    let config = RuntimeConfig {
        cache_dir,
        compiler: None,
        max_concurrent_calls: 2,
        max_calls_per_plugin: 2,
        measure: true,
        ..RuntimeConfig::default()
    };
    Runtime::new(&config, Arc::new(NoEntities))
        .or_else(|_| Runtime::new(&RuntimeConfig { cache_dir: None, ..config }, Arc::new(NoEntities)))
}

/// One golden case, read from its folder.
struct Case {
    name: String,
    dir: PathBuf,
    input: PathBuf,
    options: RunOptions,
    config: BTreeMap<String, String>,
    /// `entities.json`'s text, read again for every run so each starts from the same rows.
    entities: Option<String>,
    /// The case's budgets over the manifest's.
    budgets: Budgets,
}

/// `case.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    role: Option<Role>,
    action: Option<String>,
    entity: Option<String>,
    company: Option<String>,
    job: Option<String>,
    #[serde(default)]
    config: BTreeMap<String, toml::Value>,
    #[serde(default)]
    csv: CsvOptions,
    #[serde(default)]
    budgets: Budgets,
}

impl Case {
    /// Reads the case in `dir` of a plugin with `manifest`.
    fn read(dir: &Path, manifest: &Manifest) -> Result<Case> {
        let name = dir.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
        let case_file = dir.join(CASE_FILE);
        let file: CaseFile = match std::fs::read_to_string(&case_file) {
            Ok(text) => toml::from_str(&text).with_context(|| format!("invalid {}", case_file.display()))?,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => CaseFile::default(),
            Err(error) => return Err(error).with_context(|| format!("cannot read {}", case_file.display())),
        };
        let mut config = BTreeMap::new();
        for (key, value) in file.config {
            let text = match value {
                toml::Value::String(text) => text,
                toml::Value::Integer(_) | toml::Value::Float(_) | toml::Value::Boolean(_) => value.to_string(),
                other => bail!(
                    "{}: config value {key} is a {}; use a string, number or boolean",
                    case_file.display(),
                    other.type_str()
                ),
            };
            config.insert(key, text);
        }
        let entities_path = dir.join(ENTITIES_FILE);
        let entities = match entities_path.exists() {
            true => Some(
                std::fs::read_to_string(&entities_path)
                    .with_context(|| format!("cannot read {}", entities_path.display()))?,
            ),
            false => None,
        };
        let options = RunOptions {
            role: file.role,
            action: file.action,
            entity: file.entity,
            company: file.company,
            job: file.job,
            csv: file.csv,
            ..RunOptions::default()
        };
        let budgets = manifest.budgets.overridden_by(file.budgets);
        Ok(Case { name, dir: dir.to_owned(), input: input_file(dir)?, options, config, entities, budgets })
    }

    /// Fresh entity rows for one run.
    fn entities(&self) -> Result<Box<dyn Entities>> {
        match &self.entities {
            Some(text) => Ok(Box::new(
                MemoryEntities::from_json(text)
                    .with_context(|| format!("invalid {}", self.dir.join(ENTITIES_FILE).display()))?,
            )),
            None => Ok(Box::new(NoEntities)),
        }
    }
}

/// The one file named `input.<ext>` in a case's folder.
fn input_file(dir: &Path) -> Result<PathBuf> {
    let mut inputs = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry.with_context(|| format!("cannot read {}", dir.display()))?.path();
        if path.is_file() && path.file_stem().is_some_and(|stem| stem == "input") {
            inputs.push(path);
        }
    }
    match inputs.len() {
        1 => Ok(inputs.remove(0)),
        0 => bail!("{} has no input file (input.csv, input.xml, input.json…)", dir.display()),
        _ => bail!("{} has {} input files; a case has one", dir.display(), inputs.len()),
    }
}

/// What a case cost.
#[derive(Debug, Clone, Copy)]
struct Figures {
    /// Input rows; `None` when the call failed before saying.
    rows: Option<usize>,
    fuel: u64,
    peak_memory_bytes: usize,
    wall: Duration,
    instantiate: Duration,
    component_bytes: usize,
}

impl Figures {
    fn fuel_per_row(&self) -> Option<f64> {
        self.rows.map(|rows| self.fuel as f64 / rows.max(1) as f64)
    }

    /// The figures as one line, each under its budget's name.
    fn line(&self) -> String {
        let rows = match self.rows {
            Some(rows) => format!("rows {rows}, "),
            None => String::new(),
        };
        let per_row = self.fuel_per_row().map(|fuel| format!(", fuel_per_row {fuel:.0}")).unwrap_or_default();
        format!(
            "{rows}fuel {}{per_row}, peak_memory_mib {:.2}, wall_ms {:.2}, component_kib {:.0}, instantiate_us {}",
            self.fuel,
            self.peak_memory_bytes as f64 / MIB,
            self.wall.as_secs_f64() * 1000.0,
            self.component_bytes as f64 / KIB,
            self.instantiate.as_micros()
        )
    }

    /// Every budget these figures exceed, as "<budget> <measured> over its budget of <limit>".
    fn over(&self, budgets: &Budgets) -> Vec<String> {
        let mut over = Vec::new();
        let mut check = |name: &str, measured: f64, shown: String, limit: Option<u64>| {
            if let Some(limit) = limit.filter(|&limit| measured > limit as f64) {
                over.push(format!("{name} {shown} over its budget of {limit}"));
            }
        };
        if let Some(fuel) = self.fuel_per_row() {
            check("fuel_per_row", fuel, format!("{fuel:.0}"), budgets.fuel_per_row);
        }
        let memory = self.peak_memory_bytes as f64 / MIB;
        check("peak_memory_mib", memory, format!("{memory:.2}"), budgets.peak_memory_mib.map(u64::from));
        let wall = self.wall.as_secs_f64() * 1000.0;
        check("wall_ms", wall, format!("{wall:.2}"), budgets.wall_ms);
        let size = self.component_bytes as f64 / KIB;
        check("component_kib", size, format!("{size:.1}"), budgets.component_kib);
        let instantiate = self.instantiate.as_micros();
        check("instantiate_us", instantiate as f64, instantiate.to_string(), budgets.instantiate_us);
        over
    }
}

/// What a case's call came to: the output as `wharf plugin run` prints it, or the error of a
/// call that failed.
struct CallResult {
    output: Json,
    /// Why the call failed, when it did.
    error: Option<CallErrorKind>,
}

/// Runs the case in `dir` and prints its line, its figures, and what failed. Returns whether it
/// passed; an error is a case that could not be run at all.
fn test_case(bench: &Bench, dir: &Path, bless: bool, out: &mut dyn Write) -> Result<bool> {
    let name = dir.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    let (case, ran) = match Case::read(dir, &bench.manifest).and_then(|case| {
        let ran = run_case(bench, &case)?;
        Ok((case, ran))
    }) {
        Ok(ran) => ran,
        Err(error) => {
            writeln!(out, "case {name} ... FAILED")?;
            writeln!(out, "    cannot run it: {error:#}")?;
            return Ok(false);
        }
    };
    let (outcome, figures) = ran;
    let mut problems = Vec::new();
    let expected_path = case.dir.join(EXPECTED_FILE);
    let mut blessed = false;
    match read_expected(&expected_path)? {
        Some(expected) if expected == outcome.output => {}
        _ if bless => {
            let mut text = serde_json::to_string_pretty(&outcome.output)?;
            text.push('\n');
            std::fs::write(&expected_path, text)
                .with_context(|| format!("cannot write {}", expected_path.display()))?;
            blessed = true;
        }
        Some(expected) => {
            if let Some(error) = &outcome.error {
                problems.push(format!("the call {}: {error}", what_happened(error)));
            }
            problems.push(format!("the output differs from {EXPECTED_FILE}:\n{}", diff(&expected, &outcome.output)));
        }
        None => {
            if let Some(error) = &outcome.error {
                problems.push(format!("the call {}: {error}", what_happened(error)));
            }
            problems.push(format!("there is no {EXPECTED_FILE}; `wharf plugin test --bless` writes it from this run"));
        }
    }
    problems.extend(figures.over(&case.budgets));
    let verdict = match (problems.is_empty(), blessed) {
        (true, true) => "ok (blessed)",
        (true, false) => "ok",
        (false, _) => "FAILED",
    };
    writeln!(out, "case {} ... {verdict}", case.name)?;
    writeln!(out, "    {}", figures.line())?;
    for problem in &problems {
        for line in problem.lines() {
            writeln!(out, "    {line}")?;
        }
    }
    Ok(problems.is_empty())
}

/// The expected output in `path`, `None` when there is none yet.
fn read_expected(path: &Path) -> Result<Option<Json>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Runs `case` in the serving runtime, for its output and times, then in the measuring one,
/// for its fuel and memory.
fn run_case(bench: &Bench, case: &Case) -> Result<(CallResult, Figures)> {
    let (serving, measuring) = bench.load(case)?;
    let instantiate = instantiate_time(&serving)?;
    let entities = case.entities()?;
    let started = Instant::now();
    let report = run_sample(&serving, &case.input, &case.options, entities.as_ref());
    let wall = started.elapsed();
    let (outcome, rows) = match report {
        Ok(report) => (CallResult { output: report.output, error: None }, Some(report.rows)),
        Err(failure) => match failure.error.downcast_ref::<CallError>() {
            Some(error) => (
                CallResult { output: json!({ "error": error_message(&error.kind) }), error: Some(error.kind.clone()) },
                whole_input(&serving, case).then_some(1),
            ),
            None => return Err(failure.error),
        },
    };
    let entities = case.entities()?;
    // Its output is the serving run's; only its cost counts.
    let _ = run_sample(&measuring, &case.input, &case.options, entities.as_ref());
    let cost = measuring.take_cost().unwrap_or_default();
    let figures = Figures {
        rows,
        fuel: cost.fuel,
        peak_memory_bytes: cost.peak_memory_bytes,
        wall,
        instantiate,
        component_bytes: bench.wasm.len(),
    };
    Ok((outcome, figures))
}

/// Whether `case`'s input reaches the plugin whole, as one row: an action's parameters, a
/// transform's document, a mapper's document that is not CSV. (A CSV's rows are counted as
/// they are read, which a failed call may cut short.)
fn whole_input(plugin: &Plugin, case: &Case) -> bool {
    let role = case.options.role.unwrap_or(plugin.manifest().roles[0]);
    let csv = case.input.extension().is_some_and(|ext| ext.eq_ignore_ascii_case("csv"));
    matches!(role, Role::Action | Role::Transform) || (!csv && case.options.reader.is_none())
}

/// The median time to instantiate `plugin` in a fresh store, after one start to warm up.
fn instantiate_time(plugin: &Plugin) -> Result<Duration> {
    let start = || {
        let started = Instant::now();
        plugin.instantiate().map(|()| started.elapsed()).context("the plugin cannot start within its limits")
    };
    start()?;
    let mut times = (0..INSTANTIATE_SAMPLES).map(|_| start()).collect::<Result<Vec<_>>>()?;
    times.sort();
    Ok(times[times.len() / 2])
}

/// A failed call's message as `expected.json` holds it: the plugin's own words for an error it
/// returned, the host's otherwise, without figures that vary from run to run.
fn error_message(kind: &CallErrorKind) -> String {
    match kind {
        CallErrorKind::Failed(message) => message.clone(),
        CallErrorKind::Timeout { limit_ms, .. } => format!("stopped at its time limit of {limit_ms} ms"),
        other => other.to_string(),
    }
}

/// How a failed call ended, in words for the report.
fn what_happened(kind: &CallErrorKind) -> &'static str {
    match kind {
        CallErrorKind::Timeout { .. } => "hit its time limit",
        CallErrorKind::Memory { .. } => "hit its memory limit",
        CallErrorKind::Output { .. } => "hit its output limit",
        CallErrorKind::Trap(_) => "trapped",
        CallErrorKind::Failed(_) => "failed",
        CallErrorKind::Malformed(_) => "broke the contract",
        CallErrorKind::Busy { .. } | CallErrorKind::Unsupported(_) | CallErrorKind::Host(_) => "could not run",
    }
}

/// A unified diff of `expected` and `actual`, both pretty-printed, line by line.
fn diff(expected: &Json, actual: &Json) -> String {
    let pretty = |json: &Json| {
        let mut text = serde_json::to_string_pretty(json).unwrap_or_default();
        text.push('\n');
        text
    };
    let (expected, actual) = (pretty(expected), pretty(actual));
    similar::TextDiff::from_lines(&expected, &actual)
        .unified_diff()
        .context_radius(3)
        .header(EXPECTED_FILE, "actual")
        .to_string()
}
