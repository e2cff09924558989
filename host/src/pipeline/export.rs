//! Export: store rows (all, or changed since the project's watermark) → filter plugin →
//! mapper plugin (entity → partner shape) → writer → a file, a directory or a data package.
//!
//! Files are written into a staging directory beside the output and moved into place only
//! when every entity is done, so a failed export leaves no half-written file, and watermarks
//! move only after the output is in place. An export whose output is delivered further
//! ([`Pipeline::export_deferred`], the server's queue) leaves the watermarks to the one who
//! delivers it, to move only once the delivery is committed.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, Result, anyhow};
use wharf_plugin_sdk::Batch;

use super::document::DocumentFormat;
use super::{Pipeline, Progress, Project, ProjectEntity, RunOptions, Stage, Stages, call_context, now};
use crate::entity::Entity;
use crate::formats::RowWriter;
use crate::formats::package::{Manifest, PackageEntity, PackageHeader, PackageWriter};
use crate::store::{EntityExecutionState, Execution, ExecutionStatus, Operation, ReadQuery, Watermark};

/// What an export produced.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportOutcome {
    /// The execution record.
    pub execution: Execution,
    /// The file, directory or package written; `None` when there were no rows and the
    /// project skips empty exports.
    pub output: Option<PathBuf>,
    /// Rows written, all entities together.
    pub rows: u64,
    /// How far each incremental entity was read. [`Pipeline::export`] has saved them already;
    /// after [`Pipeline::export_deferred`], they are the caller's to save. Empty when there
    /// is no output.
    pub watermarks: Vec<Watermark>,
}

/// Whether an export saves its watermarks itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Watermarks {
    /// Once the output is in place: it is delivered.
    Save,
    /// Never: the caller saves them once it has delivered the output.
    Return,
}

/// One entity's exported file, in the staging directory.
struct Exported {
    entity: Arc<Entity>,
    settings: ProjectEntity,
    format: DocumentFormat,
    file: PathBuf,
    rows: u64,
    /// The watermark to save once the output is in place.
    watermark: Option<u64>,
}

pub(super) fn run(
    pipeline: &Pipeline,
    project: &Project,
    out: &Path,
    options: &RunOptions,
    progress: &dyn Progress,
    watermarks: Watermarks,
) -> Result<ExportOutcome> {
    let mut execution = super::start_execution(pipeline, project, options, Operation::Export)?;
    let company = execution.company.clone();
    let result = export(pipeline, project, out, options, company.as_deref(), progress, &mut execution);
    execution.completed = Some(now());
    execution.status = if result.is_ok() { ExecutionStatus::Succeeded } else { ExecutionStatus::Failed };
    pipeline.store.save_execution(&execution)?;
    let (output, rows, reached) = result?;
    if watermarks == Watermarks::Save {
        for watermark in &reached {
            pipeline.store.set_watermark(&watermark.project, &watermark.entity, watermark.version)?;
        }
    }
    Ok(ExportOutcome { execution, output, rows, watermarks: reached })
}

/// Writes the output; returns it, its rows, and the watermarks it reached (saved by the caller).
fn export(
    pipeline: &Pipeline,
    project: &Project,
    out: &Path,
    options: &RunOptions,
    company: Option<&str>,
    progress: &dyn Progress,
    execution: &mut Execution,
) -> Result<(Option<PathBuf>, u64, Vec<Watermark>)> {
    let parent = out.parent().filter(|parent| !parent.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    let staging = tempfile::Builder::new()
        .prefix(".wharf-export-")
        .tempdir_in(parent)
        .with_context(|| format!("cannot create a staging directory in {}", parent.display()))?;

    let mut exported = Vec::with_capacity(project.entities.len());
    for settings in &project.entities {
        let entity = pipeline.catalog.require(&settings.entity)?.clone();
        let mut stat = super::entity_execution(&entity.label, company);
        stat.staging_status = EntityExecutionState::Executing;
        let result = export_entity(pipeline, project, settings, &entity, staging.path(), options, company, progress);
        stat.completed = Some(now());
        match result {
            Ok(file) => {
                stat.staging_records = file.rows;
                stat.target_records = file.rows;
                stat.staging_status = EntityExecutionState::Finished;
                stat.target_status = EntityExecutionState::Finished;
                progress.entity_finished(&stat);
                execution.entities.push(stat);
                exported.push(file);
            }
            Err(error) => {
                stat.staging_status = EntityExecutionState::Error;
                stat.target_status = EntityExecutionState::Error;
                execution.entities.push(stat);
                return Err(error.context(format!("cannot export {}", entity.name)));
            }
        }
    }

    let rows = exported.iter().map(|file| file.rows).sum::<u64>();
    if rows == 0 && project.skip_when_empty {
        return Ok((None, 0, Vec::new()));
    }
    let as_package = project.package || super::is_zip(out);
    if as_package {
        let package = staging.path().join("package.zip");
        write_package(project, &exported, &package)?;
        replace(&package, out)?;
    } else if let [only] = exported.as_slice() {
        replace(&only.file, out)?;
    } else {
        std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
        for file in &exported {
            let name = file.file.file_name().context("an exported file has no name")?;
            replace(&file.file, &out.join(name))?;
        }
    }
    let watermarks = exported
        .iter()
        .filter_map(|file| {
            let version = file.watermark?;
            Some(Watermark { project: project.name.clone(), entity: file.entity.name.clone(), version })
        })
        .collect();
    Ok((Some(out.to_owned()), rows, watermarks))
}

/// Moves `from` to `to`, replacing it: one rename on the same file system.
fn replace(from: &Path, to: &Path) -> Result<()> {
    std::fs::rename(from, to).with_context(|| format!("cannot move the export into place at {}", to.display()))
}

#[expect(clippy::too_many_arguments, reason = "one call site, each argument a different concern")]
fn export_entity(
    pipeline: &Pipeline,
    project: &Project,
    settings: &ProjectEntity,
    entity: &Arc<Entity>,
    staging: &Path,
    options: &RunOptions,
    company: Option<&str>,
    progress: &dyn Progress,
) -> Result<Exported> {
    let format = DocumentFormat::parse(&settings.format, &settings.options)?;
    let stages = Stages::of(pipeline, Some(settings))?;
    let since = match settings.incremental {
        true => Some(pipeline.store.watermark(&project.name, &entity.name)?),
        false => None,
    };
    let query = ReadQuery { since_version: since, company: company.map(str::to_owned), batch_size: project.batch_size };
    let reader = pipeline.store.read(entity, &query)?;
    let up_to = reader.up_to_version();
    let name = settings.file.clone().unwrap_or_else(|| format!("{}.{}", entity.label, format.extension()));
    let file = staging.join(super::file_name_safe(&name));
    progress.entity_started(&entity.label, pipeline.store.count(entity, company)?, 0);

    let context = call_context(&entity.name, company, options);
    let mut writer: Option<Box<dyn RowWriter>> = None;
    let mut rows = 0u64;
    for batch in reader {
        let batch = batch?;
        let read = batch.len() as u64;
        let batch = match &stages.filter {
            Some(filter) => {
                let keep = filter.keep(&context, &batch)?;
                super::import::retain(&batch, &keep)
            }
            None => batch,
        };
        let batch = match &stages.mapper {
            Some(mapper) => partner_rows(mapper, &context, &batch)?,
            None => Some(batch),
        };
        progress.advanced(read, 0);
        let Some(batch) = batch.filter(|batch| !batch.is_empty()) else { continue };
        if writer.is_none() {
            writer = Some(format.writer(&file, batch.columns(), entity)?);
        }
        if let Some(writer) = writer.as_mut() {
            writer.write_batch(&batch)?;
        }
        rows += batch.len() as u64;
    }
    let writer = match writer {
        Some(writer) => writer,
        // No rows: the file still has its header, so a partner sees an empty export, not
        // a missing one.
        None => {
            let columns: Vec<String> = entity.fields.iter().map(|field| field.name.clone()).collect();
            format.writer(&file, &columns, entity)?
        }
    };
    writer.finish()?;
    let watermark = settings.incremental.then_some(up_to);
    Ok(Exported { entity: entity.clone(), settings: settings.clone(), format, file, rows, watermark })
}

/// The partner-shaped rows a mapper makes of entity rows (its one output), if any.
fn partner_rows(mapper: &Stage, context: &wharf_plugin_sdk::Context, batch: &Batch) -> Result<Option<Batch>> {
    let mapped = mapper.map(context, batch)?;
    if let Some(error) = mapped.errors.first() {
        return Err(anyhow!("the mapper rejected row {}: {}", error.row + 1, error.message));
    }
    let mut outputs = mapped.outputs.into_iter();
    match (outputs.next(), outputs.next()) {
        (Some(output), None) => Ok(Some(output.batch)),
        (None, _) => Ok(None),
        (Some(_), Some(_)) => Err(anyhow!("the mapper returned rows for several entities; an export takes one")),
    }
}

/// Writes the data package: every entity's file, then `Manifest.xml` and `PackageHeader.xml`.
fn write_package(project: &Project, exported: &[Exported], path: &Path) -> Result<()> {
    let file = std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut package = PackageWriter::new(std::io::BufWriter::new(file));
    let mut entities = Vec::with_capacity(exported.len());
    for file in exported {
        let name = file.file.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
        let mut source =
            std::fs::File::open(&file.file).with_context(|| format!("cannot read {}", file.file.display()))?;
        std::io::copy(&mut source, package.start_entity_file(&name)?)
            .with_context(|| format!("cannot add {name} to the package"))?;
        entities.push(package_entity(file, &name));
    }
    let manifest =
        Manifest { definition_group_name: project.name.clone(), description: project.description.clone(), entities };
    let header = PackageHeader { description: project.name.clone(), ..PackageHeader::default() };
    let mut sink = package.finish(&manifest, &header)?;
    std::io::Write::flush(&mut sink).context("cannot write the package")?;
    Ok(())
}

fn package_entity(file: &Exported, name: &str) -> PackageEntity {
    let field_maps =
        file.entity.fields.iter().map(|field| crate::formats::package::EntityMap::identity(&field.name)).collect();
    PackageEntity {
        entity_name: file.entity.label.clone(),
        input_file_path: name.to_owned(),
        source_format: file.format.d365_name().to_owned(),
        execution_unit: file.settings.execution_unit as i32,
        level_in_execution_unit: file.settings.level as i32,
        sequence_in_level: file.settings.sequence as i32,
        field_maps: Some(field_maps),
        ..PackageEntity::default()
    }
}
