//! `wharf staging`: the rows an import kept in staging (`ImportFromPackage` with
//! `execute=false`, a job with `staging_only`), on the deployment's store: list them, correct
//! or drop a rejected one, and copy the execution to the target. The server need not stop;
//! the store takes one writer at a time, whichever process it is.

use std::io::Write;
use std::time::Instant;

use clap::{Args, Subcommand};
use serde_json::{Map, Value};

use super::execution::summarize;
use super::{Exit, Failure, Outcome, failed, unusable};
use crate::deployment::Deployment;
use crate::store::{StagedRow, StagingError};

/// `wharf staging …`.
#[derive(Debug, Subcommand)]
pub enum StagingCommand {
    /// List an execution's staged rows, by entity and number.
    List(ListArgs),
    /// Correct a staged row: the fields given replace its values, and the row must then be
    /// valid for its entity.
    Fix(FixArgs),
    /// Drop a staged row: it will not be copied to the target.
    Drop(RowArgs),
    /// Copy an execution's valid staged rows to the target.
    Copy(ExecutionArgs),
}

/// Where the deployment and its store are.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// The deployment directory (entities, projects, plugins, wharf.toml).
    #[arg(long, env = "WHARF_DEPLOYMENT", default_value = ".")]
    pub deployment: std::path::PathBuf,
    /// The data directory, instead of the one in wharf.toml.
    #[arg(long)]
    pub data: Option<std::path::PathBuf>,
    /// The PostgreSQL database the store is in (`postgres://…`), instead of
    /// `WHARF_DATABASE_URL`'s; without one, the SQLite file in the data directory.
    #[arg(long)]
    pub database: Option<String>,
}

/// `wharf staging list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// The execution id.
    pub execution: String,
    /// Only the rejected rows.
    #[arg(long)]
    pub errors: bool,
    /// Rows to show at most.
    #[arg(long, default_value_t = 100)]
    pub limit: u64,
    /// Rows to skip first.
    #[arg(long, default_value_t = 0)]
    pub offset: u64,
    /// One JSON object per row instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub store: StoreArgs,
}

/// One staged row.
#[derive(Debug, Args)]
pub struct RowArgs {
    /// The execution id.
    pub execution: String,
    /// The entity's name or label.
    pub entity: String,
    /// The row's number, as `wharf staging list` shows it.
    pub number: u64,
    #[command(flatten)]
    pub store: StoreArgs,
}

/// `wharf staging fix`.
#[derive(Debug, Args)]
pub struct FixArgs {
    #[command(flatten)]
    pub row: RowArgs,
    /// `Field=value` pairs; values are read as a document's text is.
    #[arg(required = true, value_parser = field_value)]
    pub values: Vec<(String, String)>,
}

/// `wharf staging copy`.
#[derive(Debug, Args)]
pub struct ExecutionArgs {
    /// The execution id.
    pub execution: String,
    #[command(flatten)]
    pub store: StoreArgs,
}

fn field_value(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((field, value)) if !field.trim().is_empty() => Ok((field.trim().to_owned(), value.to_owned())),
        _ => Err(format!("{text:?} is not Field=value")),
    }
}

/// Runs `wharf staging`.
pub fn run(command: StagingCommand, out: &mut dyn Write) -> Outcome {
    match command {
        StagingCommand::List(args) => list(args, out),
        StagingCommand::Fix(args) => fix(args, out),
        StagingCommand::Drop(args) => drop_row(args, out),
        StagingCommand::Copy(args) => copy(args, out),
    }
}

fn open(args: &StoreArgs) -> Result<Deployment, Failure> {
    super::execution::open_deployment(&args.deployment, args.data.as_deref(), args.database.clone())
}

/// A refusal as the command line reports it.
fn refused(error: StagingError) -> Failure {
    failed(anyhow::Error::from(error))
}

fn list(args: ListArgs, out: &mut dyn Write) -> Outcome {
    let deployment = open(&args.store)?;
    let store = &deployment.pipeline.store;
    if store.execution(&args.execution).map_err(failed)?.is_none() {
        return Err(failed(anyhow::anyhow!("no execution {}", args.execution)));
    }
    let (count, rows) = store.staged_rows(&args.execution, args.errors, args.offset, args.limit).map_err(failed)?;
    let write = |out: &mut dyn Write| -> std::io::Result<()> {
        if args.json {
            for row in &rows {
                writeln!(out, "{}", serde_json::to_string(row).unwrap_or_default())?;
            }
            return Ok(());
        }
        let which = if args.errors { "rejected rows" } else { "rows" };
        writeln!(out, "execution {}: {count} staged {which}", args.execution)?;
        for row in &rows {
            writeln!(out, "  {}", row_line(row))?;
        }
        Ok(())
    };
    write(out).map_err(unusable)?;
    Ok(Exit::Success)
}

/// `Customer groups #3 (record 3) Error [field X: why] {"Field":"value",…}`.
fn row_line(row: &StagedRow) -> String {
    let errors: Vec<String> = row
        .errors
        .iter()
        .map(|error| match &error.field {
            Some(field) => format!("field {field}: {}", error.message),
            None => error.message.clone(),
        })
        .collect();
    let errors = if errors.is_empty() { String::new() } else { format!(" [{}]", errors.join("; ")) };
    let values = Value::Object(row.values.clone());
    format!("{} #{} (record {}) {:?}{errors} {values}", row.entity, row.number, row.record, row.status)
}

fn fix(args: FixArgs, out: &mut dyn Write) -> Outcome {
    let deployment = open(&args.row.store)?;
    let changes: Map<String, Value> =
        args.values.into_iter().map(|(field, value)| (field, Value::String(value))).collect();
    let row = deployment
        .pipeline
        .store
        .correct_staged_row(&args.row.execution, &args.row.entity, args.row.number, &changes, None)
        .map_err(refused)?;
    writeln!(out, "corrected: {}", row_line(&row)).map_err(unusable)?;
    Ok(Exit::Success)
}

fn drop_row(args: RowArgs, out: &mut dyn Write) -> Outcome {
    let deployment = open(&args.store)?;
    deployment.pipeline.store.drop_staged_row(&args.execution, &args.entity, args.number).map_err(refused)?;
    writeln!(out, "dropped row {} of {} from execution {}", args.number, args.entity, args.execution)
        .map_err(unusable)?;
    Ok(Exit::Success)
}

fn copy(args: ExecutionArgs, out: &mut dyn Write) -> Outcome {
    let deployment = open(&args.store)?;
    let started = Instant::now();
    let execution =
        deployment.pipeline.store.copy_to_target(&args.execution, None, &crate::pipeline::now()).map_err(refused)?;
    summarize(&execution, &deployment, started.elapsed(), out).map_err(unusable)
}
