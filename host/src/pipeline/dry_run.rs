//! A dry run of an import: the document goes through the same parsing, stylesheets,
//! transform, mapper, validation and filter as an import, and what would be written is
//! returned instead of written. Nothing reaches the store (no execution, no rows, no row
//! errors), no error file is made, and the files a run needs on the way (a transformed
//! document, a package's entries) live in a temporary directory that is removed after.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use serde_json::{Map, Value as Json};

use super::import::{EntityRun, Ready, prepare};
use super::{Input, Pipeline, Project, RunOptions};
use crate::plugin::CallError;
use crate::store::json_value;

/// What an import would have done.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DryRun {
    /// The rows it would write, by entity label, each by its key (the key fields' values
    /// joined with `|`); a later row with the same key replaces an earlier one, as the upsert
    /// would.
    pub rows: BTreeMap<String, BTreeMap<String, Map<String, Json>>>,
    /// The rows it would reject, in the order it met them.
    pub rejected: Vec<DryReject>,
    /// Why it would stop early, if it would: the input could not be prepared, a plugin call
    /// failed, or rows were rejected and the project does not continue on error.
    pub failure: Option<DryFailure>,
    /// Source rows read.
    pub rows_read: u64,
    /// Time spent mapping, converting and filtering (the stages plugins run in), parsing
    /// excluded.
    pub staging: Duration,
}

/// A row an import would reject.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct DryReject {
    /// The entity label it was rejected for.
    pub entity: String,
    /// Its source row, numbered from 1.
    pub row: u64,
    /// The field at fault, when one is.
    pub field: Option<String>,
    /// Why.
    pub message: String,
}

/// Why a dry run stopped early.
#[derive(Debug, Clone, PartialEq)]
pub struct DryFailure {
    /// The whole error.
    pub message: String,
    /// The plugin call that failed, when that is why.
    pub call: Option<CallError>,
}

impl DryFailure {
    fn of(error: &anyhow::Error) -> DryFailure {
        let call = error.chain().find_map(|cause| cause.downcast_ref::<CallError>()).cloned();
        DryFailure { message: format!("{error:#}"), call }
    }
}

impl Pipeline {
    /// Runs `input` through `project` as [`Pipeline::import`] would, and returns what the
    /// import would write and reject, writing nothing. A failure of the run (a document that
    /// cannot be read, a plugin call that traps) is part of the answer; an error means the
    /// dry run itself could not run.
    pub fn dry_run(&self, project: &Project, input: &Input, options: &RunOptions) -> Result<DryRun> {
        let scratch = tempfile::tempdir().context("cannot make a temporary directory for a dry run")?;
        let company = options.company.as_ref().or(project.company.as_ref()).map(|company| company.to_ascii_lowercase());
        let mut outcome = DryRun::default();
        let works = match prepare(self, project, input, options, company.as_deref(), scratch.path()) {
            Ok(works) => works,
            Err(error) => {
                outcome.failure = Some(DryFailure::of(&error));
                return Ok(outcome);
            }
        };
        for work in &works {
            let run = EntityRun {
                pipeline: self,
                project,
                work,
                options,
                company: company.as_deref(),
                id: "dry-run",
                dir: scratch.path(),
            };
            if let Err(error) = stage_all(&run, &mut outcome) {
                outcome.failure = Some(DryFailure::of(&error));
                break;
            }
        }
        Ok(outcome)
    }
}

/// Stages every batch of `run`'s document into `outcome`; stops where the import would.
fn stage_all(run: &EntityRun<'_>, outcome: &mut DryRun) -> Result<()> {
    let document = run.work.format.open(&run.work.file, run.project.batch_size)?;
    let mut stages = run.open_stages();
    let mut next_row = 1u64;
    for batch in document.batches {
        let batch = batch?;
        let first_row = next_row;
        next_row += batch.len() as u64;
        let started = Instant::now();
        let ready = run.stage_batch(first_row, batch, 0, &mut stages);
        outcome.staging += started.elapsed();
        let ready = ready?;
        outcome.rows_read += ready.source_len;
        let stop = !run.project.continue_on_error && !ready.rejected.is_empty();
        collect(&ready, outcome, !stop);
        if stop {
            anyhow::bail!("rows were rejected and the project does not continue on error");
        }
    }
    Ok(())
}

/// Adds a staged batch's rejects, and its rows when they would be `written`.
fn collect(ready: &Ready, outcome: &mut DryRun, written: bool) {
    outcome.rejected.extend(ready.rejected.iter().map(|(row, entity, field, message)| DryReject {
        entity: entity.clone(),
        row: ready.first_row + u64::from(*row),
        field: field.clone(),
        message: message.clone(),
    }));
    if !written {
        return;
    }
    for (entity, batch) in &ready.rows {
        let key_columns: Vec<usize> =
            entity.key_fields().filter_map(|field| batch.columns().iter().position(|c| *c == field.name)).collect();
        let rows = outcome.rows.entry(entity.label.clone()).or_default();
        for row in batch.rows() {
            let key: Vec<String> = key_columns.iter().map(|&column| key_text(json_value(row.value(column)))).collect();
            let fields = (batch.columns().iter().enumerate())
                .map(|(column, name)| (name.clone(), json_value(row.value(column))))
                .collect();
            rows.insert(key.join("|"), fields);
        }
    }
}

/// A key value as text: strings bare, anything else as JSON.
fn key_text(value: Json) -> String {
    match value {
        Json::String(text) => text,
        other => other.to_string(),
    }
}
