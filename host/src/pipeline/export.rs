//! Export: store rows (all, or changed since the project's watermark) → filter plugin →
//! mapper plugin (entity → partner shape) → writer → a file, a directory or a data package.
//!
//! A data package is written in the shape D365 exports (wire spec, section 3.2): columns
//! under the entity's staging field names (`MAJORTYPEID`, not `MajorTypeId`), no company
//! column when the export is one company's (D365 exports run in one legal entity, and its
//! files carry none: the package imports into the company its importer names), and a field
//! map of those columns.
//!
//! Files are written into a staging directory beside the output and moved into place only
//! when every entity is done, so a failed export leaves no half-written file, and watermarks
//! move only after the output is in place. An export whose output is delivered further
//! ([`Pipeline::export_deferred`], the server's queue) leaves the watermarks to the one who
//! delivers it, to move only once the delivery is committed.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, Result, anyhow};
use wharf_plugin_sdk::{Batch, BatchBuilder, ValueRef};

use super::document::DocumentFormat;
use super::{OpenStage, Pipeline, Progress, Project, ProjectEntity, RunOptions, Stage, Stages, call_context, now};
use crate::entity::{COMPANY_FIELD, Entity};
use crate::formats::RowWriter;
use crate::formats::package::{EntityMap, Manifest, PackageEntity, PackageHeader, PackageWriter};
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
    /// The columns the file was written with.
    columns: Vec<String>,
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
    super::count(&execution);
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

    let as_package = project.package || super::is_zip(out);
    let mut exported = Vec::with_capacity(project.entities.len());
    for settings in &project.entities {
        let entity = pipeline.catalog.require(&settings.entity)?.clone();
        let mut stat = super::entity_execution(&entity.label, company);
        stat.staging_status = EntityExecutionState::Executing;
        let shape = match as_package {
            true => Shape::Staging { company },
            false => Shape::Entity,
        };
        let target = Target { dir: staging.path(), shape };
        let result = export_entity(pipeline, project, settings, &entity, &target, options, company, progress);
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

/// Where an entity's file goes, and in which shape.
struct Target<'a> {
    /// The staging directory.
    dir: &'a Path,
    shape: Shape<'a>,
}

/// An exported file's columns: for each, its position in the rows it comes from and its name.
type ShapedColumns = Vec<(usize, String)>;

/// The columns an exported file has.
#[derive(Clone, Copy)]
enum Shape<'a> {
    /// The rows as they come: entity field names, the company column included.
    Entity,
    /// As D365 writes a package's files: staging field names, and no company column when
    /// the export is `company`'s alone.
    Staging { company: Option<&'a str> },
}

impl Shape<'_> {
    /// The columns `columns` become in this shape, with the position each comes from.
    fn columns(self, entity: &Entity, columns: &[String]) -> ShapedColumns {
        let Shape::Staging { company } = self else {
            return columns.iter().cloned().enumerate().collect();
        };
        columns
            .iter()
            .enumerate()
            // The real D365 package of a company-specific entity (wire spec, section 9: its
            // major types belong to `usmf`) has no DATAAREAID column. An export of every
            // company keeps it: without it, rows of two companies with one key would land on
            // each other when the package is imported.
            .filter(|(_, column)| {
                !(company.is_some() && entity.company_scoped && column.eq_ignore_ascii_case(COMPANY_FIELD))
            })
            .map(|(index, column)| {
                let name = match entity.field_index(column) {
                    Some(_) => staging_name(column),
                    None => column.clone(),
                };
                (index, name)
            })
            .collect()
    }
}

/// A field's name in D365's staging table and in the files and field maps of its packages:
/// the entity field's name in capitals (wire spec, section 3.2: `EntityField` is UPPERCASE,
/// and the real package's columns are `MAJORTYPEID`, `DESCRIPTION`).
fn staging_name(field: &str) -> String {
    field.to_ascii_uppercase()
}

/// `batch` with the columns `shaped` picks, under their new names.
fn reshaped(batch: Batch, shaped: &[(usize, String)]) -> Result<Batch> {
    let names: Vec<String> = shaped.iter().map(|(_, name)| name.clone()).collect();
    if shaped.iter().enumerate().all(|(position, (index, _))| position == *index)
        && shaped.len() == batch.columns().len()
    {
        // Only renamed: the encoded rows stay as they are.
        let (_, data) = batch.into_parts();
        return Batch::from_parts(names, data).context("cannot rename the exported columns");
    }
    let mut builder = BatchBuilder::with_capacity(names, batch.len(), batch.data().len());
    let mut cells: Vec<ValueRef<'_>> = Vec::with_capacity(shaped.len());
    for row in batch.rows() {
        cells.clear();
        cells.extend(shaped.iter().map(|(index, _)| row.value(*index)));
        builder.push_row(&cells);
    }
    Ok(builder.finish())
}

#[expect(clippy::too_many_arguments, reason = "one call site, each argument a different concern")]
fn export_entity(
    pipeline: &Pipeline,
    project: &Project,
    settings: &ProjectEntity,
    entity: &Arc<Entity>,
    target: &Target<'_>,
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
    let file = target.dir.join(super::file_name_safe(&name));
    progress.entity_started(&entity.label, pipeline.store.count(entity, company)?, 0);

    let context = call_context(&entity.name, company, options);
    let (mut filter, mut mapper) = (stages.filter.as_ref().map(Stage::open), stages.mapper.as_ref().map(Stage::open));
    let mut writer: Option<(Box<dyn RowWriter>, ShapedColumns)> = None;
    let mut rows = 0u64;
    for batch in reader {
        let batch = batch?;
        let read = batch.len() as u64;
        let batch = match &mut filter {
            Some(filter) => {
                let keep = filter.keep(&context, &batch)?;
                super::import::retain(&batch, &keep)
            }
            None => batch,
        };
        let batch = match &mut mapper {
            Some(mapper) => partner_rows(mapper, &context, &batch)?,
            None => Some(batch),
        };
        progress.advanced(read, 0);
        let Some(batch) = batch.filter(|batch| !batch.is_empty()) else { continue };
        if writer.is_none() {
            let shaped = target.shape.columns(entity, batch.columns());
            let names: Vec<String> = shaped.iter().map(|(_, name)| name.clone()).collect();
            writer = Some((format.writer(&file, &names, entity)?, shaped));
        }
        if let Some((writer, shaped)) = writer.as_mut() {
            rows += batch.len() as u64;
            writer.write_batch(&reshaped(batch, shaped)?)?;
        }
    }
    let (writer, shaped) = match writer {
        Some(writer) => writer,
        // No rows: the file still has its header, so a partner sees an empty export, not
        // a missing one.
        None => {
            let columns: Vec<String> = entity.fields.iter().map(|field| field.name.clone()).collect();
            let shaped = target.shape.columns(entity, &columns);
            let names: Vec<String> = shaped.iter().map(|(_, name)| name.clone()).collect();
            (format.writer(&file, &names, entity)?, shaped)
        }
    };
    writer.finish()?;
    let stylesheets: Vec<String> = project.stylesheets.iter().chain(&settings.stylesheets).cloned().collect();
    if !stylesheets.is_empty() {
        let folder = project.stylesheet_dir.as_deref().context("stylesheets are read from a deployment's folder")?;
        let content = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
        let name = file.file_name().map(|name| name.to_string_lossy().into_owned());
        let document = wharf_plugin_sdk::Document { format: format.plugin_name().to_owned(), name, content };
        let output = super::stylesheet::apply(pipeline, folder, &stylesheets, &context, document)?;
        std::fs::write(&file, output.content).with_context(|| format!("cannot write {}", file.display()))?;
    }
    let columns = shaped.into_iter().map(|(_, name)| name).collect();
    let watermark = settings.incremental.then_some(up_to);
    Ok(Exported { entity: entity.clone(), settings: settings.clone(), format, file, columns, rows, watermark })
}

/// The partner-shaped rows a mapper makes of entity rows (its one output), if any.
fn partner_rows(mapper: &mut OpenStage, context: &wharf_plugin_sdk::Context, batch: &Batch) -> Result<Option<Batch>> {
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
    // D365 writes the data project's description into both documents; the real package's
    // project was described by its name, as a project here without a description is.
    let description = match project.description.trim() {
        "" => project.name.clone(),
        _ => project.description.clone(),
    };
    let manifest = Manifest { definition_group_name: project.name.clone(), description: description.clone(), entities };
    let header = PackageHeader { description, ..PackageHeader::default() };
    let mut sink = package.finish(&manifest, &header)?;
    std::io::Write::flush(&mut sink).context("cannot write the package")?;
    Ok(())
}

/// The manifest's entry for one exported file, as D365 writes it for an entity of a data
/// project: a field map of exactly the file's columns, in the order of their names (the real
/// package lists `DESCRIPTION` before `MAJORTYPEID`, against the file's column order), and a
/// validated mapping (`ValidationStatus` `Yes`: the map is the file's own columns).
fn package_entity(file: &Exported, name: &str) -> PackageEntity {
    let mut field_maps: Vec<EntityMap> = file.columns.iter().map(|column| EntityMap::identity(column)).collect();
    field_maps.sort_by(|left, right| left.entity_field.cmp(&right.entity_field));
    PackageEntity {
        entity_name: file.entity.label.clone(),
        input_file_path: name.to_owned(),
        source_format: file.format.d365_name().to_owned(),
        execution_unit: file.settings.execution_unit as i32,
        level_in_execution_unit: file.settings.level as i32,
        sequence_in_level: file.settings.sequence as i32,
        fail_level_on_error: file.settings.fail_level_on_error,
        run_business_logic: file.settings.run_business_logic,
        run_business_validation: file.settings.run_business_validation,
        validation_status: "Yes".to_owned(),
        field_maps: Some(field_maps),
        ..PackageEntity::default()
    }
}
