//! Import: documents → plugins → validation → store, on three threads.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use anyhow::{Context as _, Result, bail};
use wharf_plugin_sdk::{Batch, BatchBuilder, Document, RowError};

use super::document::{DocumentFormat, ErrorFile, OpenDocument};
use super::{OpenStage, Pipeline, Progress, Project, ProjectEntity, RunOptions, Stage, Stages, call_context, now};
use crate::entity::convert::FieldSource;
use crate::entity::{Entity, ParseOptions, RowConverter};
use crate::formats::package::{PackageReader, ValueMap, ZipLimits};
use crate::plugin::MapOutput;
use crate::store::{
    EntityExecution, EntityExecutionState, Execution, ExecutionStatus, Lease, LeaseLost, Operation, RecordError,
    StagedError, StagedRow, TransferStatus, WriteBatch, Writer, json_value,
};

/// Batches in flight between two stages: enough to keep both busy, few enough that memory
/// stays a handful of batches.
const CHANNEL_BATCHES: usize = 4;

/// Most waiting batches one transaction takes.
const MAX_GROUPED_BATCHES: usize = 8;

/// Documents a transform plugin reshapes are read whole; past this size they are refused
/// rather than copied into plugin memory (which its manifest caps far lower anyway).
const MAX_TRANSFORM_DOCUMENT_BYTES: u64 = 256 << 20;

/// One entity's document and how to import it.
pub(super) struct Work {
    pub(super) entity: Arc<Entity>,
    pub(super) format: DocumentFormat,
    sources: HashMap<String, FieldSource>,
    parse: ParseOptions,
    pub(super) file: PathBuf,
    order: (u32, u32, u32),
    fail_level_on_error: bool,
    stages: Stages,
    /// XSLT stylesheets applied to the document before anything else, the project's first.
    stylesheets: Vec<String>,
    /// Rows, counted by reading the document once before anything is written.
    rows: u64,
}

pub(super) fn run(
    pipeline: &Pipeline,
    project: &Project,
    input: &super::Input,
    options: &RunOptions,
    progress: &dyn Progress,
) -> Result<Execution> {
    let staging_only = options.staging_only || project.staging_only;
    let options = &RunOptions { staging_only, ..options.clone() };
    let mut execution = super::start_execution(pipeline, project, options, Operation::Import)?;
    let (id, company) = (execution.id.clone(), execution.company.clone());
    let dir = pipeline.execution_dir(&id)?;
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;

    // Everything that can be found wrong with the documents is found before the first row is
    // written, so a malformed or hostile document writes nothing at all.
    let prepared = prepare(pipeline, project, input, options, company.as_deref(), &dir);
    let works = match prepared {
        Ok(works) => works,
        Err(error) => {
            let entity = match input {
                super::Input::File { entity, .. } => entity.clone(),
                super::Input::Package { .. } => None,
            };
            let entity = entity.or_else(|| project.entities.first().map(|e| e.entity.clone())).unwrap_or_default();
            let record = RecordError { entity: entity.clone(), record: 0, field: None, message: format!("{error:#}") };
            record_failure(pipeline, &id, record)?;
            execution.entities.push(failed_entity(&entity, company.as_deref()));
            return finish(pipeline, execution, options.lease.as_ref());
        }
    };

    let mut writer = pipeline.store.writer()?;
    if let Some(lease) = &options.lease {
        writer.hold(lease.clone());
    }
    // Units whose later levels no longer run, with the level that failed.
    let mut failed_levels: HashMap<u32, u32> = HashMap::new();
    for work in &works {
        let (unit, level, _) = work.order;
        if failed_levels.get(&unit).is_some_and(|failed| level > *failed) {
            let mut skipped = super::entity_execution(&work.entity.label, company.as_deref());
            skipped.staging_status = EntityExecutionState::NotRun;
            skipped.target_status = EntityExecutionState::NotRun;
            execution.entities.push(skipped);
            continue;
        }
        let context = EntityRun { pipeline, project, work, options, company: company.as_deref(), id: &id, dir: &dir };
        let outcome = context.run(&mut writer, progress);
        let stop = outcome.failed || (outcome.rejected && (work.fail_level_on_error || !project.continue_on_error));
        if stop {
            failed_levels.entry(unit).or_insert(level);
        }
        for entity in outcome.entities {
            progress.entity_finished(&entity);
            execution.entities.push(entity);
        }
    }
    finish(pipeline, execution, options.lease.as_ref())
}

/// Settles `execution`'s status and saves it, under `lease` when it has one. A lease lost
/// meanwhile means another replica processes the message now: this run is saved as canceled,
/// not as the message's outcome, and the error says why.
fn finish(pipeline: &Pipeline, mut execution: Execution, lease: Option<&Lease>) -> Result<Execution> {
    let failed = execution.entities.iter().any(|entity| {
        entity.staging_status == EntityExecutionState::Error || entity.target_status == EntityExecutionState::Error
    });
    let rejected = execution.entities.iter().any(|e| e.staging_error_count > 0 || e.target_error_count > 0);
    // Entities stopped at staging wait for the target; those skipped never started staging.
    let skipped = execution.entities.iter().any(|entity| entity.staging_status == EntityExecutionState::NotRun);
    execution.status = match (failed, rejected || skipped) {
        (true, _) => ExecutionStatus::Failed,
        (false, true) => ExecutionStatus::PartiallySucceeded,
        (false, false) => ExecutionStatus::Succeeded,
    };
    execution.completed = Some(now());
    if let Err(error) = pipeline.store.save_execution_under(&execution, lease) {
        if error.chain().any(|cause| cause.is::<LeaseLost>()) {
            execution.status = ExecutionStatus::Canceled;
            pipeline.store.save_execution(&execution)?;
            super::count(&execution);
        }
        return Err(error);
    }
    super::count(&execution);
    Ok(execution)
}

fn failed_entity(entity: &str, company: Option<&str>) -> EntityExecution {
    let mut failed = super::entity_execution(entity, company);
    failed.staging_status = EntityExecutionState::Error;
    failed.target_status = EntityExecutionState::Error;
    failed.completed = Some(now());
    failed
}

fn record_failure(pipeline: &Pipeline, execution: &str, record: RecordError) -> Result<()> {
    let mut writer = pipeline.store.writer()?;
    let mut batch = writer.transaction()?;
    batch.record_errors(execution, &[record])?;
    batch.commit()?;
    Ok(())
}

/// Works out, checks and counts every document of the input, in execution order.
pub(super) fn prepare(
    pipeline: &Pipeline,
    project: &Project,
    input: &super::Input,
    options: &RunOptions,
    company: Option<&str>,
    dir: &Path,
) -> Result<Vec<Work>> {
    let mut works = match input {
        super::Input::File { path, entity } => file_works(pipeline, project, path, entity.as_deref())?,
        super::Input::Package { path } => package_works(pipeline, project, path, dir)?,
    };
    works.sort_by_key(|work| work.order);
    // Entities reading one document through one transform share its output.
    let mut transformed_files: HashMap<(String, PathBuf), PathBuf> = HashMap::new();
    let mut styled_files: HashMap<(Vec<String>, PathBuf), PathBuf> = HashMap::new();
    for work in &mut works {
        if !work.stylesheets.is_empty() {
            let key = (work.stylesheets.clone(), work.file.clone());
            work.file = match styled_files.get(&key) {
                Some(file) => file.clone(),
                None => {
                    let file = styled(pipeline, project, work, options, company, dir, styled_files.len())?;
                    styled_files.entry(key).or_insert(file).clone()
                }
            };
        }
        if let Some(transform) = work.stages.transform.clone() {
            let key = (transform.id().to_owned(), work.file.clone());
            work.file = match transformed_files.get(&key) {
                Some(file) => file.clone(),
                None => {
                    let file = transformed(work, &transform, options, company, dir)?;
                    transformed_files.entry(key).or_insert(file).clone()
                }
            };
        }
        work.rows = work
            .format
            .count_rows(&work.file, project.batch_size)
            .with_context(|| format!("{} document {} is unusable", work.entity.name, file_label(&work.file)))?;
    }
    Ok(works)
}

fn file_label(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |name| name.to_string_lossy().into_owned())
}

/// The works of one document: for the entity named, or for every entity of the project
/// (each reading the document with its own settings, e.g. header and line records of one
/// XML file).
fn file_works(pipeline: &Pipeline, project: &Project, path: &Path, entity: Option<&str>) -> Result<Vec<Work>> {
    match entity {
        Some(name) => {
            let entity = pipeline.catalog.require(name)?;
            let settings =
                project.entity(entity).with_context(|| format!("project {} has no entity {name}", project.name))?;
            Ok(vec![file_work(pipeline, project, settings, path)?])
        }
        None => project.entities.iter().map(|settings| file_work(pipeline, project, settings, path)).collect(),
    }
}

fn file_work(pipeline: &Pipeline, project: &Project, settings: &ProjectEntity, path: &Path) -> Result<Work> {
    let entity = pipeline.catalog.require(&settings.entity)?.clone();
    let format = DocumentFormat::parse(&settings.format, &settings.options)
        .with_context(|| format!("project {}, entity {}", project.name, entity.name))?;
    Ok(Work {
        stages: Stages::of(pipeline, Some(settings))?,
        stylesheets: project.stylesheets.iter().chain(&settings.stylesheets).cloned().collect(),
        sources: settings.field_sources(),
        parse: settings.parse.clone(),
        file: path.to_owned(),
        order: settings.order(),
        fail_level_on_error: settings.fail_level_on_error,
        format,
        entity,
        rows: 0,
    })
}

/// The works of a data package: its manifest gives the entities, files, formats, field maps
/// and order; the project adds plugin stages and parse options for the entities it lists.
fn package_works(pipeline: &Pipeline, project: &Project, path: &Path, dir: &Path) -> Result<Vec<Work>> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut package = PackageReader::open(std::io::BufReader::new(file), &ZipLimits::default())
        .with_context(|| format!("{} is not a usable data package", file_label(path)))?;
    let manifest = package.manifest().clone();
    let mut works = Vec::new();
    for listed in manifest.entities_in_execution_order() {
        let entity = pipeline.catalog.require(&listed.entity_name).context("the package's manifest")?.clone();
        let settings = project.entity(&entity);
        let mut sources = settings.map(ProjectEntity::field_sources).unwrap_or_default();
        for map in listed.field_maps.iter().flatten() {
            let source = sources.entry(map.entity_field.clone()).or_default();
            source.column.get_or_insert_with(|| map.xml_field.clone());
            let ValueMap { replacements, default } = map.value_map();
            source.values.extend(replacements);
            if source.default.is_none() {
                source.default = default;
            }
        }
        let options = settings.map(|settings| settings.options.clone()).unwrap_or_default();
        let format = DocumentFormat::parse(&listed.source_format, &options)
            .with_context(|| format!("entity {} of the package", listed.entity_name))?;
        // The manifest's file name is the package author's: it names an entry to read, and
        // the copy on disk gets a name of ours, numbered so that no two entries share it.
        let extracted = dir.join(format!("{}-{}", works.len() + 1, super::file_name_safe(&listed.input_file_path)));
        let mut out =
            std::fs::File::create(&extracted).with_context(|| format!("cannot create {}", extracted.display()))?;
        package
            .extract(&listed.input_file_path, &mut out)
            .with_context(|| format!("cannot read {} from the package", listed.input_file_path))?;
        works.push(Work {
            stages: Stages::of(pipeline, settings)?,
            stylesheets: project
                .stylesheets
                .iter()
                .chain(settings.map_or(&[][..], |settings| &settings.stylesheets))
                .cloned()
                .collect(),
            parse: settings.map(|settings| settings.parse.clone()).unwrap_or_default(),
            file: extracted,
            order: (
                execution_order(listed.execution_unit),
                execution_order(listed.level_in_execution_unit),
                execution_order(listed.sequence_in_level),
            ),
            fail_level_on_error: listed.fail_level_on_error || listed.fail_execution_unit_on_error,
            format,
            sources,
            entity,
            rows: 0,
        });
    }
    Ok(works)
}

/// A manifest's execution unit, level or sequence; D365 numbers them from 1, and a negative
/// one sorts first.
fn execution_order(number: i32) -> u32 {
    u32::try_from(number).unwrap_or(0)
}

/// Runs the document through its XSLT stylesheets; the result is the document to import. A
/// stylesheet that fails fails the whole import before a row is written.
fn styled(
    pipeline: &Pipeline,
    project: &Project,
    work: &Work,
    options: &RunOptions,
    company: Option<&str>,
    dir: &Path,
    number: usize,
) -> Result<PathBuf> {
    let folder = project.stylesheet_dir.as_deref().context("stylesheets are read from a deployment's folder")?;
    let size = std::fs::metadata(&work.file).with_context(|| format!("cannot read {}", work.file.display()))?.len();
    if size > MAX_TRANSFORM_DOCUMENT_BYTES {
        bail!(
            "{} is {size} bytes; stylesheets take documents up to {MAX_TRANSFORM_DOCUMENT_BYTES}",
            file_label(&work.file)
        );
    }
    let content = std::fs::read(&work.file).with_context(|| format!("cannot read {}", work.file.display()))?;
    let document =
        Document { format: work.format.plugin_name().to_owned(), name: Some(file_label(&work.file)), content };
    let context = call_context(&work.entity.name, company, options);
    let output = super::stylesheet::apply(pipeline, folder, &work.stylesheets, &context, document)
        .with_context(|| format!("{} document {}", work.entity.name, file_label(&work.file)))?;
    let path = dir.join(format!("{}-styled.{}", number + 1, work.format.extension()));
    std::fs::write(&path, output.content).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

/// Runs the document through its transform plugin; the result is the document to import.
fn transformed(
    work: &Work,
    transform: &crate::plugin::Plugin,
    options: &RunOptions,
    company: Option<&str>,
    dir: &Path,
) -> Result<PathBuf> {
    let size = std::fs::metadata(&work.file).with_context(|| format!("cannot read {}", work.file.display()))?.len();
    if size > MAX_TRANSFORM_DOCUMENT_BYTES {
        bail!(
            "{} is {size} bytes; a transform takes documents up to {MAX_TRANSFORM_DOCUMENT_BYTES}",
            file_label(&work.file)
        );
    }
    let content = std::fs::read(&work.file).with_context(|| format!("cannot read {}", work.file.display()))?;
    let name = Some(file_label(&work.file));
    let document = Document { format: work.format.plugin_name().to_owned(), name, content };
    let context = call_context(&work.entity.name, company, options);
    let output = super::transform(transform, &context, document)?;
    let path =
        dir.join(format!("{}-transformed.{}", super::file_name_safe(&work.entity.name), work.format.extension()));
    std::fs::write(&path, output.content).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

/// What the stage thread hands the writer: one source batch's rows, ready to store.
pub(super) struct Ready {
    /// The source row number of the batch's first row.
    pub(super) first_row: u64,
    /// The source batch, kept for the error file when a row was rejected.
    source: Option<Batch>,
    /// Converted, filtered rows per entity, in the order they must be written.
    pub(super) rows: Vec<(Arc<Entity>, Batch)>,
    /// Rejected rows: (row in the source batch, entity, field, message).
    pub(super) rejected: Vec<(u32, String, Option<String>, String)>,
    /// Staging only: per batch of `rows`, the source batch row of each row.
    rows_sources: Vec<Vec<u32>>,
    /// Staging only: the values of rows conversion rejected, by (source batch row, entity name).
    rejected_values: HashMap<(u32, String), Vec<(String, wharf_plugin_sdk::Value)>>,
    /// Rows per entity that passed conversion, including those the filter dropped.
    staged: Vec<(Arc<Entity>, u64)>,
    /// Rows in the source batch.
    pub(super) source_len: u64,
    /// Bytes of the document read so far.
    bytes: u64,
}

/// What staging one entity's batches keeps from batch to batch: the mapper's instance, and
/// per entity the rows get its converter and its filter's instance, made on first use.
pub(super) struct OpenStages {
    mapper: Option<OpenStage>,
    converters: HashMap<String, RowConverter>,
    filters: HashMap<String, Option<OpenStage>>,
}

pub(super) struct EntityRun<'r> {
    pub(super) pipeline: &'r Pipeline,
    pub(super) project: &'r Project,
    pub(super) work: &'r Work,
    pub(super) options: &'r RunOptions,
    pub(super) company: Option<&'r str>,
    pub(super) id: &'r str,
    pub(super) dir: &'r Path,
}

/// How an entity's import ended.
struct Outcome {
    /// Per entity that got rows (the work's own first).
    entities: Vec<EntityExecution>,
    /// The run stopped on an error (document, plugin or store).
    failed: bool,
    /// Rows were rejected.
    rejected: bool,
}

impl EntityRun<'_> {
    fn run(&self, writer: &mut Writer, progress: &dyn Progress) -> Outcome {
        let work = self.work;
        // Per entity that got rows, the work's own first.
        let mut stats = vec![super::entity_execution(&work.entity.label, self.company)];
        let bytes = std::fs::metadata(&work.file).map(|m| m.len()).unwrap_or(0);
        progress.entity_started(&work.entity.label, work.rows, bytes);

        let bulk = self.start_bulk_load(writer);
        let (parsed_tx, parsed_rx) = sync_channel(CHANNEL_BATCHES);
        let (ready_tx, ready_rx) = sync_channel(CHANNEL_BATCHES);
        let result = std::thread::scope(|scope| {
            // Named, so profiles and stack dumps say which stage is which.
            let reader =
                std::thread::Builder::new().name("wharf-parse".into()).spawn_scoped(scope, || self.read(parsed_tx));
            let stager = std::thread::Builder::new()
                .name("wharf-map".into())
                .spawn_scoped(scope, || self.stage(parsed_rx, ready_tx));
            if let Err(error) = reader.and(stager) {
                return Err(anyhow::Error::from(error).context("cannot start the import's threads"));
            }
            self.write(writer, ready_rx, &mut stats, progress)
        });
        if bulk && let Err(error) = writer.end_bulk_load(&work.entity) {
            // The rows are committed; the store builds the indexes at its next open.
            tracing::error!(execution = self.id, entity = %work.entity.name, "cannot build the indexes after a bulk load: {error:#}");
        }

        let completed = now();
        let failure = result.err();
        let state = if failure.is_some() { EntityExecutionState::Error } else { EntityExecutionState::Finished };
        // Rows kept in staging wait there for the copy to the target.
        let target = if self.options.staging_only && failure.is_none() { EntityExecutionState::NotRun } else { state };
        for entity in &mut stats {
            entity.staging_status = state;
            entity.target_status = target;
            entity.completed = Some(completed.clone());
        }
        let rejected = stats.iter().any(|entity| entity.staging_error_count > 0 || entity.target_error_count > 0);
        if let Some(error) = &failure {
            let record = RecordError {
                entity: work.entity.label.clone(),
                record: 0,
                field: None,
                message: format!("{error:#}"),
            };
            tracing::warn!(execution = self.id, entity = %work.entity.name, "import failed: {error:#}");
            if let Err(error) = record_failure(self.pipeline, self.id, record) {
                tracing::error!(execution = self.id, "cannot record a failure: {error:#}");
            }
        }
        Outcome { entities: stats, failed: failure.is_some(), rejected }
    }

    /// Starts a bulk load of the work's entity when its document is large enough to be one
    /// (see [`Writer::start_bulk_load`]); `true` when its indexes were dropped. Staging-only
    /// runs write no rows to the entity, and a failure to start one only loses its speed.
    fn start_bulk_load(&self, writer: &mut Writer) -> bool {
        if self.options.staging_only || self.work.rows < crate::store::BULK_LOAD_ROWS {
            return false;
        }
        writer.start_bulk_load(&self.work.entity).unwrap_or_else(|error| {
            tracing::warn!(execution = self.id, "imports without a bulk load: {error:#}");
            false
        })
    }

    /// Parses the document into batches.
    fn read(&self, parsed: SyncSender<Result<(u64, Batch, u64)>>) {
        let OpenDocument { batches, bytes_read } = match self.work.format.open(&self.work.file, self.project.batch_size)
        {
            Ok(open) => open,
            Err(error) => {
                let _ = parsed.send(Err(error));
                return;
            }
        };
        let mut next_row = 1u64;
        for batch in batches {
            let item = batch.map(|batch| {
                let first = next_row;
                next_row += batch.len() as u64;
                (first, batch, bytes_read.get())
            });
            let stop = item.is_err();
            // The receiver hangs up when a later stage stopped: nothing more to do.
            if parsed.send(item).is_err() || stop {
                return;
            }
        }
    }

    /// Maps, converts and filters each batch.
    fn stage(&self, parsed: Receiver<Result<(u64, Batch, u64)>>, ready: SyncSender<Result<Ready>>) {
        let mut stages = self.open_stages();
        for item in parsed {
            let item =
                item.and_then(|(first_row, batch, bytes)| self.stage_batch(first_row, batch, bytes, &mut stages));
            let stop = item.is_err();
            if ready.send(item).is_err() || stop {
                return;
            }
        }
    }

    /// Maps, converts and filters one source batch: everything an import does to it short of
    /// writing it.
    pub(super) fn stage_batch(
        &self,
        first_row: u64,
        source: Batch,
        bytes: u64,
        stages: &mut OpenStages,
    ) -> Result<Ready> {
        let work = self.work;
        let OpenStages { mapper, converters, filters } = stages;
        let mut rejected = Vec::new();
        let mapped = match mapper {
            Some(mapper) => {
                let context = call_context(&work.entity.name, self.company, self.options);
                let MapOutput { outputs, errors } = mapper.map(&context, &source)?;
                for RowError { row, field, message } in errors {
                    rejected.push((row, work.entity.label.clone(), field, message));
                }
                Some(outputs)
            }
            None => None,
        };
        // (entity name, rows, the source row of each row; `None` when row i is source row i)
        let outputs: Vec<(&str, &Batch, Option<&[u32]>)> = match &mapped {
            Some(outputs) => outputs
                .iter()
                .map(|output| (output.entity.as_str(), &output.batch, Some(output.source_rows.as_slice())))
                .collect(),
            None => vec![(work.entity.name.as_str(), &source, None)],
        };
        let mut rows = Vec::with_capacity(outputs.len());
        let mut staged = Vec::with_capacity(outputs.len());
        let staging_only = self.options.staging_only;
        let (mut rows_sources, mut rejected_values) = (Vec::new(), HashMap::new());
        for (name, batch, source_rows) in outputs {
            let converter = match converters.get(name) {
                Some(converter) => converter,
                None => {
                    let converter = self.converter(name)?;
                    converters.entry(name.to_owned()).or_insert(converter)
                }
            };
            let entity = converter.entity().clone();
            let (converted, converted_rows, errors) = converter.convert(batch);
            let source_row = |row: u32| source_rows.and_then(|rows| rows.get(row as usize).copied()).unwrap_or(row);
            for RowError { row, field, message } in errors {
                if staging_only {
                    let values = converter.source_values(batch, row as usize);
                    rejected_values.insert((source_row(row), entity.name.clone()), values);
                }
                rejected.push((source_row(row), entity.label.clone(), field, message));
            }
            let mut sources: Vec<u32> = match staging_only {
                true => converted_rows.into_iter().map(source_row).collect(),
                false => Vec::new(),
            };
            staged.push((entity.clone(), converted.len() as u64));
            let filter = match filters.get_mut(&entity.name) {
                Some(filter) => filter,
                None => {
                    let filter = self.filter(&entity)?.as_ref().map(Stage::open);
                    filters.entry(entity.name.clone()).or_insert(filter)
                }
            };
            let converted = match filter {
                Some(filter) if !converted.is_empty() => {
                    let context = call_context(&entity.name, self.company, self.options);
                    let keep = filter.keep(&context, &converted)?;
                    if staging_only {
                        let mut kept = keep.iter();
                        sources.retain(|_| kept.next().copied().unwrap_or(false));
                    }
                    retain(&converted, &keep)
                }
                _ => converted,
            };
            rows.push((entity, converted));
            rows_sources.push(sources);
        }
        let source_len = source.len() as u64;
        let source = (!rejected.is_empty()).then_some(source);
        Ok(Ready { first_row, source, rows, rejected, rows_sources, rejected_values, staged, source_len, bytes })
    }

    /// The entity's stages as this execution calls them, batch after batch.
    pub(super) fn open_stages(&self) -> OpenStages {
        let mapper = self.work.stages.mapper.as_ref().map(Stage::open);
        OpenStages { mapper, converters: HashMap::new(), filters: HashMap::new() }
    }

    /// The converter for rows of entity `name`, with the project's field map when it lists
    /// the entity.
    fn converter(&self, name: &str) -> Result<RowConverter> {
        let entity = self.pipeline.catalog.require(name)?.clone();
        let (sources, parse) = if Arc::ptr_eq(&entity, &self.work.entity) {
            (self.work.sources.clone(), self.work.parse.clone())
        } else {
            match self.project.entity(&entity) {
                Some(settings) => (settings.field_sources(), settings.parse.clone()),
                None => (HashMap::new(), self.work.parse.clone()),
            }
        };
        Ok(RowConverter::new(entity, sources, parse, self.company.map(str::to_owned))?
            .only_companies(self.options.companies.clone()))
    }

    /// The filter of `entity`: its own settings' filter, or the work's for its own entity.
    fn filter(&self, entity: &Arc<Entity>) -> Result<Option<Stage>> {
        if Arc::ptr_eq(entity, &self.work.entity) {
            return Ok(self.work.stages.filter.clone());
        }
        Ok(Stages::of(self.pipeline, self.project.entity(entity))?.filter)
    }

    /// Writes the ready batches, each wholly inside one transaction with its rejected rows'
    /// records. Batches that are already waiting share a transaction (group commit): every
    /// commit syncs the WAL and rewrites the index pages its rows touched, so fewer, larger
    /// commits write less when the writer is the slowest stage.
    fn write(
        &self,
        writer: &mut Writer,
        ready: Receiver<Result<Ready>>,
        stats: &mut Vec<EntityExecution>,
        progress: &dyn Progress,
    ) -> Result<()> {
        let mut error_file: Option<ErrorFile> = None;
        let stop_on_error = !self.project.continue_on_error;
        while let Ok(first) = ready.recv() {
            let mut group = vec![first];
            while group.len() < MAX_GROUPED_BATCHES
                && let Ok(next) = ready.try_recv()
            {
                group.push(next);
            }
            // The batches before a failed one are written as they would have been alone.
            let mut failure = None;
            let mut batches = Vec::with_capacity(group.len());
            for item in group {
                match item {
                    Ok(batch) if stop_on_error && !batch.rejected.is_empty() => {
                        failure = Some(Err(batch));
                        break;
                    }
                    Ok(batch) => batches.push(batch),
                    Err(error) => {
                        failure = Some(Ok(error));
                        break;
                    }
                }
            }
            let mut transaction = writer.transaction()?;
            for batch in batches.iter().filter(|_| self.options.staging_only) {
                self.stage_rows(&mut transaction, batch)?;
                transaction.record_errors(self.id, &self.records(batch))?;
            }
            for batch in batches.iter().filter(|_| !self.options.staging_only) {
                for (entity, rows) in &batch.rows {
                    let upserted = transaction
                        .upsert(entity, rows)
                        .with_context(|| format!("cannot store {} rows", entity.name))?;
                    let stat = entry(stats, entity, self.company);
                    stat.target_records += upserted.inserted + upserted.updated + upserted.unchanged;
                    stat.inserted += upserted.inserted;
                    stat.updated += upserted.updated;
                }
                transaction.record_errors(self.id, &self.records(batch))?;
            }
            transaction.commit()?;
            for batch in &batches {
                for (entity, count) in &batch.staged {
                    entry(stats, entity, self.company).staging_records += count;
                }
                self.count_rejected(batch, stats);
                self.write_error_file(batch, &mut error_file)?;
                progress.advanced(batch.source_len, batch.bytes);
            }
            match failure {
                None => {}
                Some(Ok(error)) => return Err(error),
                Some(Err(rejected)) => {
                    // The batch with the first rejected row is not written; its errors are.
                    self.record_rejected(writer, &rejected, &mut error_file, stats)?;
                    bail!("rows were rejected and the project does not continue on error");
                }
            }
        }
        if let Some(file) = error_file {
            file.finish()?;
            let name = super::error_file_name(&self.work.entity.label);
            self.pipeline.store.keep_execution_file(self.id, &name, &self.dir.join(&name))?;
        }
        Ok(())
    }

    /// Keeps a ready batch in the execution's staging instead of the target: its rows as
    /// converted, and its rejected rows with their values and errors, numbered in source order.
    fn stage_rows(&self, transaction: &mut WriteBatch<'_>, ready: &Ready) -> Result<()> {
        let mut staged: Vec<StagedRow> = Vec::new();
        for ((entity, rows), sources) in ready.rows.iter().zip(&ready.rows_sources) {
            staged.extend(rows.rows().zip(sources).map(|(row, source)| {
                StagedRow {
                    entity: entity.name.clone(),
                    number: 0,
                    record: ready.first_row + u64::from(*source),
                    status: TransferStatus::NotStarted,
                    values: (rows.columns().iter().enumerate())
                        .map(|(column, name)| (name.clone(), json_value(row.value(column))))
                        .collect(),
                    errors: Vec::new(),
                }
            }));
        }
        // One staged row per rejected source row and entity, with every reason given for it.
        let valid = staged.len();
        for (row, label, field, message) in &ready.rejected {
            let entity = self.pipeline.catalog.get(label).map_or_else(|| label.clone(), |entity| entity.name.clone());
            let record = ready.first_row + u64::from(*row);
            let error = StagedError { field: field.clone(), message: message.clone() };
            let rejected = &mut staged[valid..];
            if let Some(known) = rejected.iter_mut().find(|staged| staged.record == record && staged.entity == entity) {
                known.errors.push(error);
                continue;
            }
            let values = match ready.rejected_values.get(&(*row, entity.clone())) {
                Some(values) => values.iter().map(|(name, value)| (name.clone(), json_value(value.as_ref()))).collect(),
                // A row the mapper rejected has only its source columns.
                None => match ready.source.as_ref().and_then(|source| source.row(*row as usize).map(|r| (source, r))) {
                    Some((source, source_row)) => (source.columns().iter().enumerate())
                        .map(|(column, name)| (name.clone(), json_value(source_row.value(column))))
                        .collect(),
                    None => serde_json::Map::new(),
                },
            };
            let status = TransferStatus::Error;
            staged.push(StagedRow { entity, number: 0, record, status, values, errors: vec![error] });
        }
        // Stable: rows a mapper made from one source record keep their order.
        staged.sort_by(|a, b| (&a.entity, a.record).cmp(&(&b.entity, b.record)));
        for rows in staged.chunk_by(|a, b| a.entity == b.entity) {
            transaction.stage(self.id, &rows[0].entity, rows)?;
        }
        Ok(())
    }

    fn record_rejected(
        &self,
        writer: &mut Writer,
        ready: &Ready,
        error_file: &mut Option<ErrorFile>,
        stats: &mut [EntityExecution],
    ) -> Result<()> {
        let mut transaction = writer.transaction()?;
        transaction.record_errors(self.id, &self.records(ready))?;
        transaction.commit()?;
        self.count_rejected(ready, stats);
        self.write_error_file(ready, error_file)?;
        if let Some(file) = error_file.take() {
            file.finish()?;
        }
        Ok(())
    }

    fn records(&self, ready: &Ready) -> Vec<RecordError> {
        ready
            .rejected
            .iter()
            .map(|(row, entity, field, message)| RecordError {
                entity: entity.clone(),
                record: ready.first_row + u64::from(*row),
                field: field.clone(),
                message: message.clone(),
            })
            .collect()
    }

    /// Counts the source rows rejected (a row counts once however many entities rejected
    /// it) against the work's own entity, the first of `stats`.
    fn count_rejected(&self, ready: &Ready, stats: &mut [EntityExecution]) {
        let rows: HashSet<u32> = ready.rejected.iter().map(|(row, ..)| *row).collect();
        if let Some(stat) = stats.first_mut() {
            stat.staging_error_count += rows.len() as u64;
        }
    }

    fn write_error_file(&self, ready: &Ready, error_file: &mut Option<ErrorFile>) -> Result<()> {
        let Some(source) = &ready.source else { return Ok(()) };
        let file = match error_file {
            Some(file) => file,
            None => error_file.insert(ErrorFile::create(
                &self.dir.join(super::error_file_name(&self.work.entity.label)),
                source.columns(),
            )?),
        };
        for (row, entity, field, message) in &ready.rejected {
            let record = ready.first_row + u64::from(*row);
            file.write(record, entity, field.as_deref(), message, source.row(*row as usize))?;
        }
        Ok(())
    }
}

/// The record of `entity` in `stats`, added at the end the first time it gets rows.
fn entry<'s>(stats: &'s mut Vec<EntityExecution>, entity: &Entity, company: Option<&str>) -> &'s mut EntityExecution {
    let index = match stats.iter().position(|stat| stat.entity == entity.label) {
        Some(index) => index,
        None => {
            stats.push(super::entity_execution(&entity.label, company));
            stats.len() - 1
        }
    };
    &mut stats[index]
}

/// The rows of `batch` whose `keep` is true.
pub(super) fn retain(batch: &Batch, keep: &[bool]) -> Batch {
    if keep.iter().all(|&kept| kept) {
        return batch.clone();
    }
    let mut builder = BatchBuilder::new(batch.columns().iter().cloned());
    let mut cells = Vec::with_capacity(batch.columns().len());
    for (row, _) in batch.rows().zip(keep).filter(|(_, kept)| **kept) {
        cells.clear();
        cells.extend((0..batch.columns().len()).map(|column| row.value(column)));
        builder.push_row(&cells);
    }
    builder.finish()
}
