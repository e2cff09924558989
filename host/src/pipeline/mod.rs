//! One execution of a data project: an import of documents into the store, or an export of
//! store rows into a file or data package.
//!
//! Import: parse → transform plugin (whole document, optional) → mapper plugin and/or field
//! map (batches) → type conversion and validation against the entity → filter plugin →
//! upsert, one transaction per batch. Parsing, plugin calls and store writes run on three
//! threads joined by bounded channels, so a slow stage holds the others back instead of
//! letting batches pile up in memory. Rejected rows are data (records with their source row,
//! field and message, and an error file), never a failure of the run.
//!
//! Knows nothing of HTTP or schedules: the CLI and the job scheduler both call [`Pipeline`].
pub mod document;
mod dry_run;
mod export;
mod import;
pub mod project;
pub mod stylesheet;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Result, bail};
use wharf_plugin_sdk::{Batch, Context, Document};

pub use document::DocumentFormat;
pub use dry_run::{DryFailure, DryReject, DryRun};
pub use export::ExportOutcome;
pub use project::{Project, ProjectEntity, Projects};

use crate::entity::Catalog;
use crate::plugin::{MapOutput, Plugin, Registry, Role, Session};
use crate::store::{EntityExecution, EntityExecutionState, Execution, ExecutionStatus, Operation, Store};

/// Everything an execution works with.
#[derive(Clone)]
pub struct Pipeline {
    /// The entity definitions.
    pub catalog: Arc<Catalog>,
    /// The loaded plugins.
    pub registry: Arc<Registry>,
    /// The entity store.
    pub store: Store,
    /// Where executions keep their files (error files, extracted package entries).
    pub executions_dir: PathBuf,
    /// Stages in native code, by the plugin name projects use for them.
    pub natives: HashMap<String, Arc<dyn NativeStage>>,
}

/// A mapper or filter written in the embedding program's own code, which projects name like
/// a plugin. The import benchmark measures its floor with these; an embedder can use them for
/// logic that needs no sandbox.
pub trait NativeStage: Send + Sync {
    /// Maps source rows to entity rows, as a mapper plugin does.
    fn map(&self, _context: &Context, _batch: &Batch) -> Result<MapOutput> {
        bail!("not a mapper")
    }

    /// Which rows to keep, as a filter plugin answers.
    fn keep(&self, _context: &Context, _batch: &Batch) -> Result<Vec<bool>> {
        bail!("not a filter")
    }
}

/// One stage of an entity's import or export: a plugin, or native code.
#[derive(Clone)]
enum Stage {
    Plugin(Arc<Plugin>),
    Native(Arc<dyn NativeStage>),
}

impl Stage {
    /// The stage as one execution calls it, batch after batch: a plugin keeps one instance
    /// for all of them (see [`Session`]).
    fn open(&self) -> OpenStage {
        match self {
            Stage::Plugin(plugin) => OpenStage::Plugin(Session::new(plugin.clone())),
            Stage::Native(native) => OpenStage::Native(native.clone()),
        }
    }
}

/// A [`Stage`] one execution is calling.
enum OpenStage {
    Plugin(Session),
    Native(Arc<dyn NativeStage>),
}

impl OpenStage {
    fn map(&mut self, context: &Context, batch: &Batch) -> Result<MapOutput> {
        match self {
            OpenStage::Plugin(session) => session.map(context, batch).map_err(anyhow::Error::from),
            OpenStage::Native(native) => native.map(context, batch),
        }
    }

    fn keep(&mut self, context: &Context, batch: &Batch) -> Result<Vec<bool>> {
        match self {
            OpenStage::Plugin(session) => session.keep(context, batch).map_err(anyhow::Error::from),
            OpenStage::Native(native) => native.keep(context, batch),
        }
    }
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline").field("executions_dir", &self.executions_dir).finish_non_exhaustive()
    }
}

/// What to import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// One document for one entity of the project (the project's only one when `None`).
    File {
        /// The document.
        path: PathBuf,
        /// The entity it holds.
        entity: Option<String>,
    },
    /// A data package: its manifest says which file holds which entity.
    Package {
        /// The zip.
        path: PathBuf,
    },
}

impl Input {
    /// A `.zip` is a data package; anything else one document.
    pub fn from_path(path: &Path, entity: Option<String>) -> Input {
        match is_zip(path) {
            true => Input::Package { path: path.to_owned() },
            false => Input::File { path: path.to_owned(), entity },
        }
    }
}

/// Whether `path` names a data package.
fn is_zip(path: &Path) -> bool {
    path.extension().is_some_and(|extension| extension.eq_ignore_ascii_case("zip"))
}

/// Who and what an execution runs for: passed to plugins as their call context.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// The company rows get when they name none (overrides the project's).
    pub company: Option<String>,
    /// The only companies rows may be written into (lowercase), for executions on behalf of
    /// a client whose grants end somewhere; a row naming another is rejected. `None`: any
    /// (the operator's command line, a client granted every company).
    pub companies: Option<Arc<[String]>>,
    /// The execution id; generated when `None`.
    pub execution_id: Option<String>,
    /// The recurring job's activity id.
    pub job: Option<String>,
    /// The queue message.
    pub message: Option<String>,
    /// The sender's correlation id.
    pub correlation_id: Option<String>,
    /// Stop after staging: rows are validated and kept in the execution's staging (rejected
    /// ones with their errors) and nothing reaches the target until the execution is copied
    /// there; D365's `execute=false` and "import to staging only".
    pub staging_only: bool,
    /// The queue lease the import runs under: its writes and its outcome commit only while the
    /// message is still this run's (see [`Lease`](crate::store::Lease)).
    pub lease: Option<crate::store::Lease>,
}

/// Hears how an execution advances, e.g. to draw a progress bar. Called from the thread
/// that writes to the store.
pub trait Progress: Sync {
    /// An entity's document starts: its rows (counted before the import) and bytes.
    fn entity_started(&self, _entity: &str, _rows: u64, _bytes: u64) {}
    /// `rows` more rows of the current document are done, and it has been read up to `bytes`.
    fn advanced(&self, _rows: u64, _bytes: u64) {}
    /// An entity is done.
    fn entity_finished(&self, _execution: &EntityExecution) {}
}

/// Progress nobody watches.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {}

impl Pipeline {
    /// Imports `input` with `project`'s settings. Rejected rows do not make this an error:
    /// they are in the execution's status and errors. An error means the execution could not
    /// be recorded at all.
    pub fn import(
        &self,
        project: &Project,
        input: &Input,
        options: &RunOptions,
        progress: &dyn Progress,
    ) -> Result<Execution> {
        import::run(self, project, input, options, progress)
    }

    /// Exports `project`'s entities to `out`: a file, a directory (several entities) or a
    /// data package (`.zip`, or when the project says `package = true`).
    pub fn export(
        &self,
        project: &Project,
        out: &Path,
        options: &RunOptions,
        progress: &dyn Progress,
    ) -> Result<ExportOutcome> {
        export::run(self, project, out, options, progress, export::Watermarks::Save)
    }

    /// [`Pipeline::export`], except that the watermarks are returned in
    /// [`ExportOutcome::watermarks`] and not saved. For a caller that delivers the output
    /// somewhere the store cannot commit together with, such as the server's queue: it saves
    /// them only once the delivery is committed (see [`Store::stage_watermarks`]), so that a
    /// crash in between neither loses the rows read nor sends them twice.
    ///
    /// [`Store::stage_watermarks`]: crate::store::Store::stage_watermarks
    pub fn export_deferred(
        &self,
        project: &Project,
        out: &Path,
        options: &RunOptions,
        progress: &dyn Progress,
    ) -> Result<ExportOutcome> {
        export::run(self, project, out, options, progress, export::Watermarks::Return)
    }

    /// The directory of an execution's files. An id that [`check_execution_id`] refuses names
    /// no directory: ids can come from clients, and this is where they would meet the disk.
    pub fn execution_dir(&self, execution_id: &str) -> Result<PathBuf> {
        check_execution_id(execution_id)?;
        Ok(self.executions_dir.join(execution_id))
    }

    /// The file of the records an execution rejected for the entity labelled `label`, with
    /// their source values; it exists only when some were.
    pub fn error_file(&self, execution_id: &str, label: &str) -> Result<PathBuf> {
        Ok(self.execution_dir(execution_id)?.join(error_file_name(label)))
    }

    /// [`error_file`](Self::error_file), fetched from the store when another replica ran the
    /// execution; `None` when the execution rejected no records of that entity.
    pub fn fetch_error_file(&self, execution_id: &str, label: &str) -> Result<Option<PathBuf>> {
        let path = self.error_file(execution_id, label)?;
        let found = self.store.fetch_execution_file(execution_id, &error_file_name(label), &path)?;
        Ok(found.then_some(path))
    }

    /// The plugin named `name`, which must serve `role`.
    pub(crate) fn plugin(&self, name: &str, role: Role) -> Result<Arc<Plugin>> {
        let Some(plugin) = self.registry.by_name(name) else {
            let failure = self.registry.status().into_iter().find_map(|status| {
                let stem = status.file.file_stem().map(|stem| stem.to_string_lossy().into_owned());
                status.failure.filter(|_| stem.as_deref() == Some(name))
            });
            match failure {
                Some(failure) => bail!("plugin {name} is not loaded: {}", failure.reason),
                None => bail!("plugin {name} is not loaded (no such plugin in the plugin directory)"),
            }
        };
        anyhow::ensure!(plugin.manifest().roles.contains(&role), "plugin {name} is not a {role} plugin");
        Ok(plugin)
    }

    /// The stage named `name` for `role`: native code registered under the name, or a plugin.
    fn stage(&self, name: &str, role: Role) -> Result<Stage> {
        match self.natives.get(name) {
            Some(native) => Ok(Stage::Native(native.clone())),
            None => self.plugin(name, role).map(Stage::Plugin),
        }
    }
}

/// The plugin stages of one entity.
#[derive(Clone, Default)]
struct Stages {
    transform: Option<Arc<Plugin>>,
    mapper: Option<Stage>,
    filter: Option<Stage>,
}

impl Stages {
    fn of(pipeline: &Pipeline, settings: Option<&ProjectEntity>) -> Result<Stages> {
        let Some(settings) = settings else { return Ok(Stages::default()) };
        let stage = |name: &Option<String>, role| name.as_deref().map(|name| pipeline.stage(name, role)).transpose();
        let transform = settings.transform.as_deref().map(|name| pipeline.plugin(name, Role::Transform)).transpose()?;
        Ok(Stages {
            transform,
            mapper: stage(&settings.mapper, Role::Mapper)?,
            filter: stage(&settings.filter, Role::Filter)?,
        })
    }
}

/// Runs `document` through a transform plugin.
fn transform(plugin: &Plugin, context: &Context, document: Document) -> Result<Document> {
    plugin.transform(context, document).map_err(anyhow::Error::from)
}

/// The longest execution id a client may choose.
pub const MAX_EXECUTION_ID: usize = 128;

/// Whether `character` may appear in an execution id after its first character.
fn execution_id_character(character: char) -> bool {
    character.is_ascii_alphanumeric() || matches!(character, '-' | '_' | '.' | ':' | ' ')
}

/// Checks an execution id, which clients may choose (`executionId` of the package API) and
/// which names the execution's directory: 1 to [`MAX_EXECUTION_ID`] ASCII letters, digits,
/// `-`, `_`, `.`, `:` and spaces, starting with a letter or digit. That leaves no path
/// separator, no `.` or `..`, and no hidden name, so an id is always one plain directory
/// inside the executions directory; anything else is refused rather than rewritten, so two
/// ids never share a directory.
pub fn check_execution_id(id: &str) -> Result<()> {
    let starts_well = id.chars().next().is_some_and(|first| first.is_ascii_alphanumeric());
    if !starts_well || id.len() > MAX_EXECUTION_ID || !id.chars().all(execution_id_character) {
        // The id is not repeated: it may be a path, which an answer should not echo.
        bail!(
            "the execution id is not usable: it takes 1 to {MAX_EXECUTION_ID} letters, digits, '-', '_', '.', ':' \
             or spaces, starting with a letter or digit"
        );
    }
    Ok(())
}

/// A new execution id: `{project}-{yyyy-MM-dd_HH-mm-ss}-{random}`, the form D365 clients use;
/// it always passes [`check_execution_id`].
pub fn new_execution_id(project: &str) -> String {
    let mut random = [0u8; 4];
    // Without randomness two executions in one second would share an id; a clock-based
    // fallback keeps them apart well enough.
    if getrandom::fill(&mut random).is_err() {
        random = chrono::Utc::now().timestamp_subsec_nanos().to_le_bytes();
    }
    let suffix: String = random.iter().map(|byte| format!("{byte:02x}")).collect();
    let project: String = project
        .chars()
        .take(80)
        .map(|character| if execution_id_character(character) { character } else { '_' })
        .collect();
    let prefix = if project.starts_with(|first: char| first.is_ascii_alphanumeric()) { "" } else { "x" };
    format!("{prefix}{project}-{}-{suffix}", chrono::Utc::now().format("%Y-%m-%d_%H-%M-%S"))
}

/// The name of an entity's error file.
fn error_file_name(label: &str) -> String {
    format!("{}-errors.csv", file_name_safe(label))
}

/// `text` as one plain file name: every character that is not safe in a file name replaced
/// by `_`, and a leading `.` too, so the result is never `.`, `..`, hidden or empty.
fn file_name_safe(text: &str) -> String {
    let safe: String = text
        .chars()
        .take(120)
        .enumerate()
        .map(|(at, c)| match c {
            '.' if at == 0 => '_',
            c if c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ' ') => c,
            _ => '_',
        })
        .collect();
    if safe.is_empty() { "_".to_owned() } else { safe }
}

/// Records a new execution of `project` as executing: its id (given or generated) and the
/// company its rows get (the run's, else the project's).
fn start_execution(
    pipeline: &Pipeline,
    project: &Project,
    options: &RunOptions,
    operation: Operation,
) -> Result<Execution> {
    let company = options.company.as_ref().or(project.company.as_ref()).map(|company| company.to_ascii_lowercase());
    let execution = Execution {
        id: options.execution_id.clone().unwrap_or_else(|| new_execution_id(&project.name)),
        project: project.name.clone(),
        operation,
        status: ExecutionStatus::Executing,
        started: now(),
        completed: None,
        company,
        entities: Vec::new(),
    };
    pipeline.store.save_execution(&execution)?;
    Ok(execution)
}

/// A new, not yet started entity record of an execution.
fn entity_execution(entity: &str, company: Option<&str>) -> EntityExecution {
    EntityExecution {
        entity: entity.to_owned(),
        company: company.map(str::to_owned),
        staging_records: 0,
        staging_status: EntityExecutionState::NotStarted,
        staging_error_count: 0,
        target_records: 0,
        target_status: EntityExecutionState::NotStarted,
        target_error_count: 0,
        started: Some(now()),
        completed: None,
        inserted: 0,
        updated: 0,
    }
}

/// Records an ended `execution` in the metrics (see `crate::metrics`): its outcome, and per
/// entity the records it read, wrote and rejected (imports) or wrote out (exports).
pub(crate) fn count(execution: &Execution) {
    let operation = match execution.operation {
        Operation::Import => "import",
        Operation::Export => "export",
    };
    let outcome = match execution.status {
        ExecutionStatus::Succeeded => "Succeeded",
        ExecutionStatus::PartiallySucceeded => "PartiallySucceeded",
        ExecutionStatus::Failed => "Failed",
        ExecutionStatus::Canceled => "Canceled",
        ExecutionStatus::Unknown | ExecutionStatus::NotRun | ExecutionStatus::Executing => "Unknown",
    };
    ::metrics::counter!(crate::metrics::EXECUTIONS, "operation" => operation, "outcome" => outcome).increment(1);
    for entity in &execution.entities {
        let name = || entity.entity.clone();
        match execution.operation {
            Operation::Import => {
                // Staging counts the records it kept; those it rejected were read too.
                let read = entity.staging_records + entity.staging_error_count;
                ::metrics::counter!(crate::metrics::ROWS_READ, "entity" => name()).increment(read);
                ::metrics::counter!(crate::metrics::ROWS_IMPORTED, "entity" => name()).increment(entity.target_records);
                let rejected = entity.staging_error_count + entity.target_error_count;
                ::metrics::counter!(crate::metrics::ROWS_REJECTED, "entity" => name()).increment(rejected);
            }
            Operation::Export => {
                ::metrics::counter!(crate::metrics::ROWS_EXPORTED, "entity" => name()).increment(entity.target_records);
            }
        }
    }
}

/// The current time, as executions record it.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The call context plugins get.
fn call_context(entity: &str, company: Option<&str>, options: &RunOptions) -> Context {
    Context {
        entity: entity.to_owned(),
        company: company.map(str::to_owned),
        job: options.job.clone(),
        message: options.message.clone(),
        correlation_id: options.correlation_id.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn execution_ids_that_could_name_another_path_are_refused() {
        let long = "a".repeat(MAX_EXECUTION_ID + 1);
        for id in ["", ".", "..", "../x", "a/b", "/abs", "a\\b", ".hidden", " lead", "-lead", "x\0y", "é", &long] {
            assert!(check_execution_id(id).is_err(), "{id:?} should be refused");
        }
        let longest = "a".repeat(MAX_EXECUTION_ID);
        for id in ["Contoso export-2024-01-01_10-00-00-ab12", "a..b", "DMF:2024-01-01T10:00:00", &longest] {
            check_execution_id(id).unwrap_or_else(|error| panic!("{id:?}: {error}"));
        }
    }

    #[test]
    fn minted_execution_ids_pass_the_check_whatever_the_project_is_called() {
        for project in ["Customer groups", "../../etc", ".hidden", "Ünïcode/ü", "", &"p".repeat(500)] {
            let id = new_execution_id(project);
            check_execution_id(&id).unwrap_or_else(|error| panic!("{project:?} → {id:?}: {error}"));
        }
    }

    #[test]
    fn file_names_made_safe_are_one_plain_name() {
        for (text, safe) in [("..", "_."), (".", "_"), ("", "_"), ("a/../b", "a_.._b"), ("wharf.db", "wharf.db")] {
            assert_eq!(file_name_safe(text), safe, "{text:?}");
        }
        assert_eq!(file_name_safe(&"x".repeat(1000)).len(), 120);
    }
}
