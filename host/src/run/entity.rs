//! `wharf entity from-package`: drafts entity definitions from a D365 data package, for an
//! operator to review and then move into the deployment.
//!
//! A draft never goes live on its own: without `--out` it is only printed, and with it each
//! draft is written as `<entity>.toml.draft`, a name no deployment loads (it loads
//! `entities/*.toml`), never over an existing file. The operator reviews it and moves it into
//! place under a `.toml` name.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, anyhow, bail};
use clap::{Args, Subcommand};

use super::{Exit, Outcome, unusable};
use crate::entity::infer::{Inference, entity_name};
use crate::formats::package::{PackageEntity, PackageReader, ZipLimits};
use crate::pipeline::DocumentFormat;

/// `wharf entity`.
#[derive(Debug, Subcommand)]
pub enum EntityCommand {
    /// Draft entity definitions from a data package's manifest and data files: fields,
    /// types and string lengths guessed from the rows, a key from distinct values.
    FromPackage(FromPackageArgs),
}

/// `wharf entity from-package`.
#[derive(Debug, Args)]
pub struct FromPackageArgs {
    /// The data package (`.zip`).
    pub package: PathBuf,
    /// Only this entity of the manifest (its label, e.g. "Customer groups"); default: all.
    #[arg(long)]
    pub entity: Option<String>,
    /// Write one `<entity>.toml.draft` per entity into this directory instead of printing
    /// them; review each, then move it into the deployment's `entities/` as `<entity>.toml`.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Rows read per batch from a data file.
const BATCH_SIZE: usize = 5_000;

/// Runs `wharf entity`.
pub fn run(command: EntityCommand, out: &mut dyn Write) -> Outcome {
    match command {
        EntityCommand::FromPackage(args) => from_package(&args, out).map_err(unusable),
    }
}

fn from_package(args: &FromPackageArgs, out: &mut dyn Write) -> Result<Exit> {
    let file = std::fs::File::open(&args.package).with_context(|| format!("cannot open {}", args.package.display()))?;
    let mut package = PackageReader::open(std::io::BufReader::new(file), &ZipLimits::default())
        .with_context(|| format!("{} is not a usable data package", args.package.display()))?;
    let manifest = package.manifest().clone();
    let entities: Vec<&PackageEntity> = match &args.entity {
        Some(wanted) => {
            let found = manifest.entities.iter().find(|entity| entity.entity_name.eq_ignore_ascii_case(wanted));
            let listed: Vec<&str> = manifest.entities.iter().map(|entity| entity.entity_name.as_str()).collect();
            vec![found.ok_or_else(|| anyhow!("the manifest has no entity {wanted:?} (it lists {listed:?})"))?]
        }
        None => manifest.entities.iter().collect(),
    };
    if entities.is_empty() {
        bail!("the manifest lists no entities");
    }
    let package_name = args.package.file_name().map_or_else(String::new, |name| name.to_string_lossy().into_owned());
    let scratch = tempfile::tempdir().context("cannot create a temporary directory")?;
    let mut drafts = Vec::with_capacity(entities.len());
    for (position, entity) in entities.into_iter().enumerate() {
        let draft = draft(&mut package, entity, &package_name, &scratch.path().join(position.to_string()))
            .with_context(|| format!("entity {:?}", entity.entity_name))?;
        drafts.push((entity, draft));
    }
    match &args.out {
        None => {
            for (_, draft) in &drafts {
                writeln!(out, "{draft}").context("cannot write the drafts")?;
            }
        }
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
            for (entity, draft) in &drafts {
                let path = dir.join(format!("{}.toml.draft", file_stem(&entity.entity_name)?));
                let mut file = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&path)
                    .with_context(|| format!("cannot create {} (a draft never replaces a file)", path.display()))?;
                file.write_all(draft.as_bytes()).with_context(|| format!("cannot write {}", path.display()))?;
                writeln!(
                    out,
                    "drafted {} from {:?}: review it, then move it into the deployment's entities/ as a .toml file",
                    path.display(),
                    entity.entity_name
                )
                .context("cannot write the summary")?;
            }
        }
    }
    Ok(Exit::Success)
}

/// The draft of one entity: its data file extracted to `scratch` and read as its source
/// format says, field names from the manifest's field map.
fn draft<R: std::io::Read + std::io::Seek>(
    package: &mut PackageReader<R>,
    entity: &PackageEntity,
    package_name: &str,
    scratch: &Path,
) -> Result<String> {
    let format = DocumentFormat::parse(&entity.source_format, &toml::Table::new())?;
    let mut extracted =
        std::fs::File::create(scratch).with_context(|| format!("cannot create {}", scratch.display()))?;
    package
        .extract(&entity.input_file_path, &mut extracted)
        .with_context(|| format!("cannot read {} from the package", entity.input_file_path))?;
    drop(extracted);
    let field_name = |column: &str| {
        entity
            .field_maps
            .iter()
            .flatten()
            .find(|map| map.xml_field.eq_ignore_ascii_case(column))
            .map(|map| map.entity_field.clone())
            .filter(|name| !name.is_empty())
    };
    let mut inference = Inference::new();
    let origin = format!("{package_name}: {} ({})", entity.input_file_path, entity.source_format);
    for batch in format.open(scratch, BATCH_SIZE)?.batches {
        let batch = batch.with_context(|| format!("cannot read {}", entity.input_file_path))?;
        inference.add(&batch, &field_name)?;
    }
    inference.draft(&entity.entity_name, &origin)
}

/// A draft's file name: the entity label in lowercase words joined by `-`.
fn file_stem(label: &str) -> Result<String> {
    // Checked first: a label that makes no entity name makes no file name either.
    entity_name(label)?;
    let words: Vec<String> = label
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    Ok(words.join("-"))
}
