//! `wharf plugin build | check | run`: build a plugin crate into a component, inspect one, and
//! try one on a sample file.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use clap::Subcommand;
use serde_json::{Map, Value as Json, json};
use wharf_plugin_sdk::{Batch, Context, Document, Value, ValueRef};

use super::{Exit, Failure, Outcome, failed, unusable};
use crate::deployment::{SETTINGS_FILE, Settings};
use crate::formats;
use crate::pipeline::DocumentFormat;
use crate::plugin::manifest::BuildCommand;
use crate::plugin::signature::{self, Signing};
use crate::plugin::{
    Entities, LoadLimits, Manifest, MemoryEntities, NoEntities, Outbound, Plugin, Role, Runtime, RuntimeConfig,
    compile_to_file,
};

/// The manifest file in a plugin crate's directory.
pub const CRATE_MANIFEST: &str = "wharf-plugin.toml";
/// How long compiling a plugin outside a deployment may take (`plugin test`, `run`, `check`).
const AUTHOR_COMPILE_TIME: Duration = Duration::from_secs(300);
/// Rows per batch when running a plugin on a sample.
const SAMPLE_BATCH_ROWS: usize = 256;

/// Plugin subcommands.
#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Build a plugin crate to a component and place it, with its manifest, in a plugin
    /// directory.
    Build {
        /// The crate's directory (holding Cargo.toml and wharf-plugin.toml).
        crate_dir: PathBuf,
        /// The plugin directory to place it in.
        #[arg(long, default_value = "plugins-out")]
        out: PathBuf,
    },
    /// Load a plugin, check it against its manifest, start it once under its limits, and
    /// print what it offers.
    Check {
        /// The `.wasm` file; its manifest is the `.toml` beside it.
        file: PathBuf,
        /// Where compiled plugins are kept (default: the cache of the deployment whose plugin
        /// directory holds the file, else `~/.cache/wharf/plugins`).
        #[arg(long, env = "WHARF_PLUGIN_CACHE")]
        cache: Option<PathBuf>,
    },
    /// Run a plugin on a sample file and print its output and row errors.
    ///
    /// Rows are numbered as people count them: `source_row`, `row`, `kept` and `dropped` are
    /// 1-based data rows of the whole sample (the first row after the header is 1), while the
    /// plugin itself sees 0-based indexes into each batch of 256 rows.
    Run {
        /// The `.wasm` file; its manifest is the `.toml` beside it.
        file: PathBuf,
        /// The sample: CSV for mappers and filters (other files reach a mapper whole, unless
        /// `--format` names their reader), any document for transforms, a JSON object of
        /// parameters for actions.
        #[arg(long)]
        input: PathBuf,
        /// How the sample is read: a project's format and options.
        #[command(flatten)]
        sample: Box<super::sample::SampleArgs>,
        /// The role to run, when the plugin has several.
        #[arg(long)]
        role: Option<Role>,
        /// The action to invoke, when the plugin offers several.
        #[arg(long)]
        action: Option<String>,
        /// The entity the call is for (default: the manifest's first).
        #[arg(long)]
        entity: Option<String>,
        /// The company (dataAreaId) the call is for.
        #[arg(long)]
        company: Option<String>,
        /// Entity rows the plugin may look up or change, as JSON
        /// (`{"Entity": {"key": [..], "rows": [..]}}`).
        #[arg(long)]
        entities: Option<PathBuf>,
        /// Where compiled plugins are kept (default: as for `check`).
        #[arg(long, env = "WHARF_PLUGIN_CACHE")]
        cache: Option<PathBuf>,
    },
    /// Build a plugin and run its golden cases (`cases/<case>/`) under a server's engine
    /// configuration: a diff for each case whose output differs from its `expected.json`, and
    /// its measured cost held to the `[budgets]` of the manifest or the case.
    Test(super::harness::TestArgs),
    /// Replay a candidate version over a job's recorded inbound messages beside the version
    /// serving now, writing nothing, and report what would differ: rows per entity, rejects
    /// appearing or fixed, traps and limit hits, cost per row. Exits 5 when anything differs.
    Replay(super::replay::ReplayArgs),
    /// Make a plugin project in a new folder: its source, manifest, a sample input, one
    /// golden case under `cases/` and a README, ready for `wharf plugin test`.
    New {
        /// The new folder; its last component is the plugin's name (lowercase letters,
        /// digits and '-').
        path: PathBuf,
        /// What the plugin does.
        #[arg(long)]
        role: Role,
        /// The language it is written in.
        #[arg(long, default_value = "rust")]
        lang: super::scaffold::Language,
        /// Where a Rust project's SDK is unpacked (default: `wharf/sdk/<version>` in the
        /// user's cache, `$XDG_CACHE_HOME` or `~/.cache`).
        #[arg(long, env = super::scaffold::SDK_DIR_VARIABLE)]
        sdk_dir: Option<PathBuf>,
    },
    /// Sign a plugin (its component and its manifest) with a minisign secret key, writing
    /// `<name>.wasm.minisig` beside it for deployments that list the key in
    /// `[signing] trusted_keys`.
    Sign {
        /// The `.wasm` file; its manifest is the `.toml` beside it.
        file: PathBuf,
        /// The minisign secret key (`wharf plugin keygen`, or `minisign -G`).
        #[arg(long)]
        key: PathBuf,
        /// The password of an encrypted key (asked for on the terminal when absent).
        #[arg(long, env = "WHARF_SIGNING_KEY_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// Make a minisign key pair for signing plugins: `<prefix>.key`, the secret to keep off
    /// the servers, and `<prefix>.pub`, for `[signing] trusted_keys`.
    Keygen {
        /// Where the keys go, without extension.
        prefix: PathBuf,
    },
    /// Compile a component read from stdin into `--out`, within a memory limit it sets on
    /// itself: the compiler process a runtime starts (see `wharf::plugin::Compiler`).
    #[command(hide = true)]
    Compile {
        /// Where the compiled component goes.
        #[arg(long)]
        out: PathBuf,
        /// The memory the compile may take (`RLIMIT_DATA`).
        #[arg(long)]
        max_memory_mib: u32,
        /// How long the compile may take before it stops itself.
        #[arg(long)]
        max_time_ms: u64,
    },
}

impl clap::ValueEnum for Role {
    fn value_variants<'a>() -> &'a [Self] {
        &Role::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.name()))
    }
}

/// Runs a plugin subcommand, writing its report to `out`.
pub fn run(command: PluginCommand, out: &mut dyn Write) -> Outcome {
    match command {
        PluginCommand::Build { crate_dir, out: plugin_dir } => {
            let wasm = build(&crate_dir, &plugin_dir, None).map_err(unusable)?;
            let plugin = runtime_for(&wasm, None).and_then(|runtime| runtime.load(&wasm)).map_err(unusable)?;
            writeln!(out, "built {} -> {}", plugin.id(), wasm.display()).map_err(unusable)?;
            Ok(Exit::Success)
        }
        PluginCommand::Check { file, cache } => {
            let plugin = runtime_for(&file, cache).and_then(|runtime| runtime.load(&file)).map_err(unusable)?;
            // The start a server runs before it swaps a version in: a plugin that cannot start
            // within its limits is as unusable as one that does not compile.
            plugin
                .instantiate()
                .map_err(anyhow::Error::from)
                .with_context(|| format!("plugin {} cannot start within its limits", file.display()))
                .map_err(unusable)?;
            describe(&plugin, out).map_err(unusable)?;
            Ok(Exit::Success)
        }
        PluginCommand::Run { file, input, sample, role, action, entity, company, entities, cache } => {
            let data: Box<dyn Entities> = match entities {
                Some(path) => Box::new(
                    std::fs::read_to_string(&path)
                        .with_context(|| format!("cannot read {}", path.display()))
                        .and_then(|text| MemoryEntities::from_json(&text))
                        .map_err(unusable)?,
                ),
                None => Box::new(NoEntities),
            };
            let plugin = runtime_for(&file, cache).and_then(|runtime| runtime.load(&file)).map_err(unusable)?;
            let mut options = RunOptions { role, action, entity, company, ..RunOptions::default() };
            match sample.format(&input).map_err(unusable)? {
                Some(DocumentFormat::Csv(csv)) => options.csv = csv,
                reader => options.reader = reader,
            }
            let report = run_sample(&plugin, &input, &options, data.as_ref())?;
            writeln!(out, "{}", serde_json::to_string_pretty(&report.output).unwrap_or_default()).map_err(unusable)?;
            Ok(if report.rejected > 0 { Exit::RowsRejected } else { Exit::Success })
        }
        PluginCommand::Test(args) => super::harness::run(args, out),
        PluginCommand::Replay(args) => super::replay::run(args, out),
        PluginCommand::New { path, role, lang, sdk_dir } => {
            let project = super::scaffold::create(&path, role, lang, sdk_dir.as_deref())?;
            super::scaffold::describe(&project, role, lang, out).map_err(unusable)?;
            Ok(Exit::Success)
        }
        PluginCommand::Sign { file, key, password } => {
            let signature = signature::sign(&file, &key, password).map_err(unusable)?;
            writeln!(out, "signed {} -> {}", file.display(), signature.display()).map_err(unusable)?;
            Ok(Exit::Success)
        }
        PluginCommand::Keygen { prefix } => {
            let (secret, public) = signature::keygen(&prefix).map_err(unusable)?;
            writeln!(out, "secret key {} (keep it off the servers)\npublic key {}", secret.display(), public.display())
                .map_err(unusable)?;
            Ok(Exit::Success)
        }
        PluginCommand::Compile { out, max_memory_mib, max_time_ms } => {
            compile_to_file(&out, max_memory_mib, Duration::from_millis(max_time_ms)).map_err(unusable)?;
            Ok(Exit::Success)
        }
    }
}

/// The runtime the commands load plugin `file` with. Compiled plugins are kept in `cache`,
/// else where the deployment whose plugin directory holds `file` keeps them (so a server on
/// that deployment starts without compiling what was checked, and the other way round), else
/// in the user's cache directory; a command that finds the plugin there compiles nothing. The
/// deployment's load limits hold too, and its `[outbound]` and `[secrets]`, so a plugin that
/// calls web services reaches what it would in the server.
pub(super) fn runtime_for(file: &Path, cache: Option<PathBuf>) -> Result<Runtime> {
    let deployment = deployment_of(file);
    let cache_dir = cache.or_else(|| match &deployment {
        Some((dir, settings)) => Some(settings.cache_dir(dir)),
        None => crate::deployment::user_plugin_cache(),
    });
    // Outside a deployment the author's own component is compiled on the author's machine: a
    // CPython component (18 MiB) can take longer than a server's 30 s on a busy one.
    let load_limits = deployment
        .as_ref()
        .map(|(_, settings)| settings.loading)
        .unwrap_or(LoadLimits { max_compile_time: AUTHOR_COMPILE_TIME, ..LoadLimits::default() });
    let outbound = match &deployment {
        Some((dir, settings)) => Arc::new(Outbound::new(dir, &settings.outbound, &settings.secrets)?),
        None => Arc::default(),
    };
    let signing = match &deployment {
        Some((dir, settings)) => Signing::new(dir, &settings.signing)?.map(Arc::new),
        None => None,
    };
    let config = RuntimeConfig { cache_dir, load_limits, outbound, signing, ..RuntimeConfig::default() };
    Runtime::new(&config, Arc::new(NoEntities)).or_else(|error| {
        // A cache this user may not use (another user's deployment) only costs a compile.
        let Some(dir) = &config.cache_dir else { return Err(error) };
        tracing::warn!(dir = %dir.display(), "cannot use the plugin cache; compiling without it: {error:#}");
        Runtime::new(&RuntimeConfig { cache_dir: None, ..config.clone() }, Arc::new(NoEntities))
    })
}

/// The deployment (directory and settings) whose plugin directory holds `file`: the directory
/// above the file's, when it has a `wharf.toml` whose `plugins` names the file's directory.
fn deployment_of(file: &Path) -> Option<(PathBuf, Settings)> {
    let plugin_dir = std::path::absolute(file).ok()?.parent()?.canonicalize().ok()?;
    let dir = plugin_dir.parent()?;
    if !dir.join(SETTINGS_FILE).is_file() {
        return None;
    }
    let settings = Settings::load(dir, None).ok()?;
    let named = settings.plugins_dir(dir).canonicalize().ok()?;
    (named == plugin_dir).then(|| (dir.to_owned(), settings))
}

/// Builds the plugin in `crate_dir` and places `<name>.wasm` and `<name>.toml` in
/// `plugin_dir`, each written by rename so a watching host never sees half a file. A manifest
/// with `[build]` names its own command (plugins in Python, JavaScript, C); without one the
/// folder is a Cargo crate, built for `wasm32-wasip2`, with `target_dir` overriding where cargo
/// builds. Returns the `.wasm` path.
pub fn build(crate_dir: &Path, plugin_dir: &Path, target_dir: Option<&Path>) -> Result<PathBuf> {
    let manifest_path = crate_dir.join(CRATE_MANIFEST);
    let manifest = Manifest::read(&manifest_path)?;
    let built = match &manifest.build {
        Some(build) => run_build_command(crate_dir, build)?,
        None => build_crate(crate_dir, target_dir)?,
    };
    std::fs::create_dir_all(plugin_dir).with_context(|| format!("cannot create {}", plugin_dir.display()))?;
    let wasm = plugin_dir.join(format!("{}.wasm", manifest.name));
    // Manifest first: a watcher that wakes on the component then finds the matching manifest.
    place(&manifest_path, &wasm.with_extension("toml"))?;
    place(&built, &wasm)?;
    Ok(wasm)
}

/// Runs a manifest's `[build]` command in `dir` and returns the component it left.
fn run_build_command(dir: &Path, build: &BuildCommand) -> Result<PathBuf> {
    let output = dir.join(&build.output);
    // A component left by an earlier build must not pass for this one's.
    match std::fs::remove_file(&output) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
            return Err(error).with_context(|| format!("cannot remove the old {}", output.display()));
        }
        _ => {}
    }
    let status = Command::new("sh")
        .arg("-c")
        .arg(&build.command)
        .current_dir(dir)
        // The build's chatter goes where cargo's does, keeping stdout for what `wharf` reports.
        .stdout(std::io::stderr())
        .status()
        .context("cannot run sh for the manifest's build command")?;
    if !status.success() {
        bail!("the build command of {} failed ({status}): {}", dir.display(), build.command);
    }
    if !output.is_file() {
        bail!("the build command of {} left no component at {}", dir.display(), output.display());
    }
    Ok(output)
}

/// How `wharf plugin build` compiles a plugin crate, over what the crate's own release profile
/// says: a plugin is small, runs hot and is compiled once, so it gets the whole optimizer (one
/// codegen unit and fat LTO let it inline the SDK's accessors into the plugin's loop), and a
/// panic aborts (the call traps with the panic's message, as it would anyway; no unwinding
/// tables to carry).
const PLUGIN_PROFILE: [&str; 4] = ["opt-level=3", "lto=\"fat\"", "codegen-units=1", "panic=\"abort\""];

/// Builds the Cargo crate in `crate_dir` for `wasm32-wasip2` with [`PLUGIN_PROFILE`] and
/// returns the component.
fn build_crate(crate_dir: &Path, target_dir: Option<&Path>) -> Result<PathBuf> {
    let cargo_toml = crate_dir.join("Cargo.toml");
    if !cargo_toml.is_file() {
        bail!(
            "{} has no Cargo.toml, and its {CRATE_MANIFEST} no [build] command saying how to build it",
            crate_dir.display()
        );
    }
    let metadata = cargo(target_dir)
        .args(["metadata", "--no-deps", "--format-version", "1", "--manifest-path"])
        .arg(&cargo_toml)
        .output()
        .context("cannot run cargo")?;
    if !metadata.status.success() {
        bail!(
            "cargo metadata failed for {}: {}",
            cargo_toml.display(),
            String::from_utf8_lossy(&metadata.stderr).trim()
        );
    }
    let metadata: Json = serde_json::from_slice(&metadata.stdout).context("cargo metadata printed no JSON")?;
    let cargo_toml = cargo_toml.canonicalize()?;
    let package = metadata["packages"]
        .as_array()
        .and_then(|packages| packages.iter().find(|p| p["manifest_path"].as_str().map(Path::new) == Some(&cargo_toml)))
        .context("cargo metadata does not list the crate")?;
    let package_name = package["name"].as_str().context("package without a name")?;
    let target = match target_dir {
        Some(dir) => dir.to_owned(),
        None => PathBuf::from(metadata["target_directory"].as_str().context("no target directory")?),
    };
    ensure_wasm_target(crate_dir)?;
    let mut build = cargo(target_dir);
    build.args(["build", "--release", "--target", "wasm32-wasip2"]);
    for setting in PLUGIN_PROFILE {
        build.args(["--config", &format!("profile.release.{setting}")]);
    }
    let status = build
        .arg("--manifest-path")
        .arg(&cargo_toml)
        .args(["--package", package_name])
        // Cargo reads `.cargo/config.toml` from the folder it runs in, not the manifest's: the
        // crate's own must apply (`wharf plugin new` patches the SDK dependency there).
        .current_dir(cargo_toml.parent().unwrap_or(crate_dir))
        .status()
        .context("cannot run cargo")?;
    if !status.success() {
        bail!(
            "cargo build of {} failed (is the target installed? `rustup target add wasm32-wasip2`)",
            crate_dir.display()
        );
    }
    Ok(target.join("wasm32-wasip2/release").join(format!("{}.wasm", package_name.replace('-', "_"))))
}

/// Adds the `wasm32-wasip2` target to the toolchain that builds `crate_dir` when it lacks it,
/// as a fresh rustup toolchain does (it has only the host's target, and nothing installs one
/// behind the user's back). Without rustup, a distribution's Rust, there is nothing to add
/// it with, and cargo's error says what is missing.
fn ensure_wasm_target(crate_dir: &Path) -> Result<()> {
    const TARGET: &str = "wasm32-wasip2";
    let rustup = || {
        let mut command = Command::new("rustup");
        command.current_dir(crate_dir);
        command
    };
    let Ok(installed) = rustup().args(["target", "list", "--installed"]).output() else { return Ok(()) };
    let listed = String::from_utf8_lossy(&installed.stdout).lines().any(|line| line.trim() == TARGET);
    if !installed.status.success() || listed {
        return Ok(());
    }
    // Its progress goes where cargo's does, keeping stdout for what `wharf` reports.
    let status =
        rustup().args(["target", "add", TARGET]).stdout(std::io::stderr()).status().context("cannot run rustup")?;
    if !status.success() {
        bail!("rustup could not add the {TARGET} target plugins are built for (`rustup target add {TARGET}`)");
    }
    Ok(())
}

fn cargo(target_dir: Option<&Path>) -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    // When run from a build script or test, the outer cargo's settings must not leak in.
    for name in ["CARGO_TARGET_DIR", "CARGO_ENCODED_RUSTFLAGS", "RUSTFLAGS", "CARGO_MAKEFLAGS", "CARGO_BUILD_TARGET"] {
        command.env_remove(name);
    }
    if let Some(dir) = target_dir {
        // Absolute: cargo may run in another folder than this process.
        command.env("CARGO_TARGET_DIR", std::path::absolute(dir).unwrap_or_else(|_| dir.to_owned()));
    }
    command
}

fn place(from: &Path, to: &Path) -> Result<()> {
    let dir = to.parent().unwrap_or(Path::new("."));
    let staged = tempfile::NamedTempFile::new_in(dir)?;
    std::fs::copy(from, staged.path()).with_context(|| format!("cannot copy {}", from.display()))?;
    staged.persist(to).with_context(|| format!("cannot write {}", to.display()))?;
    Ok(())
}

fn describe(plugin: &Plugin, out: &mut dyn Write) -> Result<()> {
    let manifest = plugin.manifest();
    let list = |items: &[String]| if items.is_empty() { "-".to_owned() } else { items.join(", ") };
    let roles: Vec<String> = manifest.roles.iter().map(ToString::to_string).collect();
    writeln!(out, "plugin    {}", plugin.id())?;
    writeln!(out, "roles     {}", list(&roles))?;
    writeln!(out, "entities  {}", list(&manifest.entities))?;
    if !manifest.actions.is_empty() {
        writeln!(out, "actions   {}", list(&manifest.actions))?;
    }
    writeln!(out, "exports   {}", list(plugin.exports()))?;
    let limits = manifest.limits;
    writeln!(
        out,
        "limits    memory {} MiB, time {} ms, output {} MiB",
        limits.memory_mib, limits.timeout_ms, limits.output_mib
    )?;
    let config: Vec<String> = manifest.config.iter().map(|(key, value)| format!("{key}={value}")).collect();
    writeln!(out, "config    {}", list(&config))?;
    // What the plugin may call, as an operator reviewing it before deployment wants to see.
    for rule in &manifest.outbound.allow {
        let ports: Vec<String> = rule.ports.iter().map(ToString::to_string).collect();
        let (methods, paths) = (rule.methods.join("|"), rule.paths.join(", "));
        writeln!(out, "outbound  {methods} https://{}:{} {paths}", rule.host, ports.join("|"))?;
    }
    writeln!(out, "blake3    {}", plugin.content_hash())?;
    Ok(())
}

/// How to run a plugin on a sample.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// The role to run (default: the manifest's first).
    pub role: Option<Role>,
    /// The action to invoke (default: the manifest's first).
    pub action: Option<String>,
    /// The entity of the call (default: the manifest's first).
    pub entity: Option<String>,
    /// The company of the call.
    pub company: Option<String>,
    /// The recurring job (activity id) of the call.
    pub job: Option<String>,
    /// How a CSV sample is laid out.
    pub csv: formats::csv::CsvOptions,
    /// The reader of a mapper's or filter's sample in another format (XML, JSON, Excel,
    /// fixed width); `None` reads a `.csv` file with `csv` and hands any other whole to the
    /// plugin.
    pub reader: Option<DocumentFormat>,
}

/// What a plugin made of a sample.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleReport {
    /// The output as JSON, as `wharf plugin run` prints it.
    pub output: Json,
    /// Input rows rejected.
    pub rejected: usize,
    /// Input rows: a CSV sample's data rows; 1 for a whole document or an action's parameters.
    pub rows: usize,
}

/// Runs `plugin` on the sample file `input`. Rows are numbered from 1 (the first data row).
pub fn run_sample(
    plugin: &Plugin,
    input: &Path,
    options: &RunOptions,
    entities: &dyn Entities,
) -> Result<SampleReport, Failure> {
    let manifest = plugin.manifest();
    let role = options.role.unwrap_or(manifest.roles[0]);
    let ctx = Context {
        entity: options.entity.clone().unwrap_or_else(|| manifest.entities[0].clone()),
        company: options.company.clone(),
        job: options.job.clone(),
        ..Context::default()
    };
    let read = || std::fs::read(input).with_context(|| format!("cannot read {}", input.display())).map_err(unusable);
    let name = input.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    let format = input.extension().map(|ext| ext.to_string_lossy().to_lowercase()).unwrap_or_default();
    match role {
        Role::Mapper | Role::Filter => {
            let bytes = read()?;
            let batches: Vec<Batch> = if let Some(reader) = &options.reader {
                reader
                    .open(input, SAMPLE_BATCH_ROWS)
                    .and_then(|document| document.batches.collect::<Result<_>>())
                    .with_context(|| format!("cannot read {} as {}", input.display(), reader.d365_name()))
                    .map_err(unusable)?
            } else if format == "csv" {
                let batches = formats::csv::reader(bytes.as_slice(), &options.csv, SAMPLE_BATCH_ROWS)
                    .and_then(|batches| batches.collect::<Result<Vec<_>>>())
                    .map_err(unusable)?;
                // One column named `a;b;c` is a delimiter mistake, not data: say so before a
                // mapper rejects every row for fields it cannot find.
                if let Some(hint) = super::sample::delimiter_hint(&batches, &options.csv) {
                    return Err(unusable(anyhow::anyhow!("{}: {hint}", input.display())));
                }
                batches
            } else {
                let text = String::from_utf8(bytes).context("the sample is not UTF-8 text").map_err(unusable)?;
                vec![formats::document_batch(&name, &text)]
            };
            if role == Role::Mapper {
                map_sample(plugin, &ctx, &batches).map_err(failed)
            } else {
                filter_sample(plugin, &ctx, &batches).map_err(failed)
            }
        }
        Role::Transform => {
            let document = Document { format, name: Some(name), content: read()? };
            let output = plugin.transform(&ctx, document).map_err(failed)?;
            let content = String::from_utf8_lossy(&output.content).into_owned();
            let output = json!({ "format": output.format, "name": output.name, "content": content });
            Ok(SampleReport { output, rejected: 0, rows: 1 })
        }
        Role::Action => {
            let params: Json = serde_json::from_slice(&read()?).context("the sample is not JSON").map_err(unusable)?;
            let action = options.action.as_deref().unwrap_or(&manifest.actions[0]);
            let output = plugin.invoke(&ctx, action, &params, entities).map_err(failed)?;
            let output = serde_json::from_str(output.get()).context("the action's result").map_err(failed)?;
            Ok(SampleReport { output, rejected: 0, rows: 1 })
        }
    }
}

fn map_sample(plugin: &Plugin, ctx: &Context, batches: &[Batch]) -> Result<SampleReport> {
    // Entities in the order the plugin first produced them.
    let mut entities: Vec<(String, Vec<Json>)> = Vec::new();
    let mut errors = Vec::new();
    let mut first_row = 1;
    for batch in batches {
        let mapped = plugin.map(ctx, batch)?;
        for output in &mapped.outputs {
            let position = entities.iter().position(|(entity, _)| *entity == output.entity).unwrap_or_else(|| {
                entities.push((output.entity.clone(), Vec::new()));
                entities.len() - 1
            });
            let rows = &mut entities[position].1;
            for (row, source) in output.batch.rows().zip(&output.source_rows) {
                let mut fields = Map::new();
                fields.insert("source_row".into(), json!(first_row + *source as usize));
                fields.extend(row.fields().map(|(name, value)| (name.to_owned(), json_value(value))));
                rows.push(Json::Object(fields));
            }
        }
        errors.extend(mapped.errors.iter().map(
            |error| json!({ "row": first_row + error.row as usize, "field": error.field, "message": error.message }),
        ));
        first_row += batch.len();
    }
    let rejected = errors.len();
    let rows: Map<String, Json> = entities.into_iter().map(|(entity, rows)| (entity, Json::Array(rows))).collect();
    Ok(SampleReport { output: json!({ "rows": rows, "errors": errors }), rejected, rows: first_row - 1 })
}

fn filter_sample(plugin: &Plugin, ctx: &Context, batches: &[Batch]) -> Result<SampleReport> {
    let (mut kept, mut dropped) = (Vec::new(), Vec::new());
    let mut first_row = 1;
    for batch in batches {
        for (index, keep) in plugin.keep(ctx, batch)?.into_iter().enumerate() {
            if keep { &mut kept } else { &mut dropped }.push(first_row + index);
        }
        first_row += batch.len();
    }
    Ok(SampleReport { output: json!({ "kept": kept, "dropped": dropped }), rejected: 0, rows: first_row - 1 })
}

/// A cell as JSON: text stays text (decimals too, so no precision is lost).
pub fn json_value(value: ValueRef<'_>) -> Json {
    match value.to_owned() {
        Value::Null => Json::Null,
        Value::Integer(number) => json!(number),
        Value::Float(number) => json!(number),
        Value::Boolean(flag) => json!(flag),
        Value::String(text) | Value::Decimal(text) | Value::Date(text) | Value::DateTime(text) => Json::String(text),
    }
}
