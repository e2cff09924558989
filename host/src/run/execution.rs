//! `wharf import` and `wharf export`: run a data project locally against the deployment's
//! store, with a progress bar on the terminal and a summary on stdout.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{Exit, Failure, Outcome, failed, unusable};
use crate::backend::{Backend, DatabaseSettings};
use crate::deployment::Deployment;
use crate::pipeline::{Input, Progress, Project, RunOptions};
use crate::store::{EntityExecution, Execution, ExecutionStatus, Operation};

/// Where the deployment is, for every command that uses one.
#[derive(Debug, Args)]
pub struct DeploymentArgs {
    /// The deployment directory (entities, projects, plugins, wharf.toml).
    #[arg(long, env = "WHARF_DEPLOYMENT", default_value = ".")]
    pub deployment: PathBuf,
    /// The data directory, instead of the one in wharf.toml.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// The company (dataAreaId) rows get when they name none.
    #[arg(long)]
    pub company: Option<String>,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
    /// The PostgreSQL database the deployment's replicas share (`postgres://…`), instead of
    /// `WHARF_DATABASE_URL`'s; without one, the store is the SQLite file in the data directory.
    #[arg(long)]
    pub database: Option<String>,
}

/// `wharf import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// A document, or a data package (`.zip`).
    pub input: PathBuf,
    /// The data project to import with.
    #[arg(long)]
    pub project: String,
    /// The entity a document holds, when the project has several.
    #[arg(long)]
    pub entity: Option<String>,
    /// Stop after staging: review with `wharf staging`, then copy to the target.
    #[arg(long)]
    pub staging_only: bool,
    #[command(flatten)]
    pub deployment: DeploymentArgs,
}

/// `wharf export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The data project to export.
    #[arg(long)]
    pub project: String,
    /// The file, directory or data package (`.zip`) to write.
    #[arg(long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub deployment: DeploymentArgs,
}

/// Runs `wharf import`.
pub fn import(args: ImportArgs, out: &mut dyn Write) -> Outcome {
    let (deployment, mut options) = open(&args.deployment)?;
    options.staging_only = args.staging_only;
    let project = project(&deployment, &args.project, Operation::Import)?;
    if !args.input.exists() {
        return Err(unusable(anyhow::anyhow!("no such file {}", args.input.display())));
    }
    let input = Input::from_path(&args.input, args.entity);
    let started = Instant::now();
    let progress = Bar::new(args.deployment.quiet);
    let execution = deployment.pipeline.import(project, &input, &options, &progress).map_err(failed)?;
    progress.done();
    summarize(&execution, &deployment, started.elapsed(), out).map_err(unusable)
}

/// Runs `wharf export`.
pub fn export(args: ExportArgs, out: &mut dyn Write) -> Outcome {
    let (deployment, options) = open(&args.deployment)?;
    let project = project(&deployment, &args.project, Operation::Export)?;
    let started = Instant::now();
    let progress = Bar::new(args.deployment.quiet);
    let exported = deployment.pipeline.export(project, &args.out, &options, &progress).map_err(failed)?;
    progress.done();
    summarize(&exported.execution, &deployment, started.elapsed(), out).map_err(unusable)?;
    let written = match &exported.output {
        Some(path) => format!("wrote {} rows to {}", exported.rows, path.display()),
        None => "no rows to export: nothing written (the project skips empty exports)".to_owned(),
    };
    writeln!(out, "{written}").map_err(unusable)?;
    Ok(Exit::Success)
}

fn open(args: &DeploymentArgs) -> Result<(Deployment, RunOptions), Failure> {
    let deployment = open_deployment(&args.deployment, args.data.as_deref(), args.database.clone())?;
    let company = args.company.clone().or_else(|| deployment.settings.default_company.clone());
    Ok((deployment, RunOptions { company, ..RunOptions::default() }))
}

/// The deployment in `dir`, its store on the database `database` names (else
/// `WHARF_DATABASE_URL`'s, else the SQLite file in the data directory).
pub(super) fn open_deployment(
    dir: &Path,
    data: Option<&Path>,
    database: Option<String>,
) -> Result<Deployment, Failure> {
    let backend = Backend::open_blocking(&DatabaseSettings::default().resolve(database)).map_err(unusable)?;
    Deployment::open_on(dir, data, &backend).map_err(unusable)
}

/// The project called `name`, which must be an `operation` project.
fn project<'d>(deployment: &'d Deployment, name: &str, operation: Operation) -> Result<&'d Project, Failure> {
    let project = deployment.projects.require(name).map_err(unusable)?;
    if project.operation != operation {
        let kind = project.operation.as_str().to_lowercase();
        return Err(unusable(anyhow::anyhow!("project {} is an {kind} project", project.name)));
    }
    Ok(project)
}

/// Prints the execution's summary; the exit code says how it went.
pub(super) fn summarize(
    execution: &Execution,
    deployment: &Deployment,
    elapsed: Duration,
    out: &mut dyn Write,
) -> std::io::Result<Exit> {
    writeln!(out, "execution {}: {:?}", execution.id, execution.status)?;
    let mut rows = 0;
    for entity in &execution.entities {
        rows += entity.staging_records + entity.staging_error_count;
        writeln!(out, "  {}", entity_line(entity))?;
    }
    let rejected: u64 = execution.entities.iter().map(|entity| entity.staging_error_count).sum();
    if rejected > 0
        && let Ok(dir) = deployment.pipeline.execution_dir(&execution.id)
    {
        for file in error_files(&dir) {
            writeln!(out, "  error file: {}", file.display())?;
        }
    }
    if execution.status == ExecutionStatus::Failed {
        let errors = deployment.pipeline.store.execution_errors(&execution.id, 0, 5).unwrap_or_default();
        for error in errors.iter().filter(|error| error.record == 0) {
            writeln!(out, "  failed: {}", error.message)?;
        }
    }
    let seconds = elapsed.as_secs_f64();
    let rate = if seconds > 0.0 { rows as f64 / seconds } else { 0.0 };
    let memory = peak_memory_mib().map(|mib| format!(", peak memory {mib} MB")).unwrap_or_default();
    writeln!(out, "  {rows} rows in {seconds:.2} s ({rate:.0} rows/s){memory}")?;
    Ok(match execution.status {
        ExecutionStatus::Succeeded => Exit::Success,
        ExecutionStatus::PartiallySucceeded if rejected > 0 => Exit::RowsRejected,
        _ => Exit::Failed,
    })
}

fn entity_line(entity: &EntityExecution) -> String {
    format!(
        "{}: read {}, imported {} (inserted {}, updated {}), rejected {}, {:?}",
        entity.entity,
        entity.staging_records + entity.staging_error_count,
        entity.target_records,
        entity.inserted,
        entity.updated,
        entity.staging_error_count,
        entity.target_status,
    )
}

fn error_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(|entry| entry.ok().map(|entry| entry.path())).collect())
        .unwrap_or_default();
    files.retain(|path| path.to_string_lossy().ends_with("-errors.csv"));
    files.sort();
    files
}

/// The process's peak resident memory (Linux's `VmHWM`), in MiB.
fn peak_memory_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

/// A progress bar on stderr: rows, MB/s and ETA. Hidden when stderr is not a terminal.
struct Bar {
    bar: ProgressBar,
    started: std::sync::Mutex<Instant>,
}

impl Bar {
    fn new(quiet: bool) -> Bar {
        let target = if quiet { ProgressDrawTarget::hidden() } else { ProgressDrawTarget::stderr() };
        let bar = ProgressBar::with_draw_target(None, target);
        let style = ProgressStyle::with_template(
            "{prefix:>12} [{bar:30}] {human_pos}/{human_len} rows  {per_sec}  {msg}  ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        Bar { bar, started: std::sync::Mutex::new(Instant::now()) }
    }

    fn done(&self) {
        self.bar.finish_and_clear();
    }
}

impl Progress for Bar {
    fn entity_started(&self, entity: &str, rows: u64, _bytes: u64) {
        self.bar.set_prefix(entity.to_owned());
        self.bar.set_length(rows);
        self.bar.set_position(0);
        self.bar.reset_eta();
        if let Ok(mut started) = self.started.lock() {
            *started = Instant::now();
        }
    }

    fn advanced(&self, rows: u64, bytes: u64) {
        self.bar.inc(rows);
        let elapsed = self.started.lock().map(|started| started.elapsed().as_secs_f64()).unwrap_or(0.0);
        if bytes > 0 && elapsed > 0.0 {
            self.bar.set_message(format!("{:.1} MB/s", bytes as f64 / elapsed / 1e6));
        }
    }
}
