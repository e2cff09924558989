//! `wharf plugin replay`: runs a candidate plugin version over a job's recorded inbound
//! messages beside the version serving now, writing nothing, and reports what would differ
//! (see [`crate::releases::replay`]). Exit 0 when nothing would, [`Exit::CandidateDiffers`]
//! when something would.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context as _, Result};
use clap::Args;
use serde_json::Value as Json;

use super::{Exit, Outcome, failed, unusable};
use crate::deployment::Deployment;
use crate::jobs::job::{self, parse_activity};
use crate::jobs::{Bodies, Database, Job};
use crate::releases::replay::{self, DEFAULT_LIMIT, MessageReport, Replay, ReplayReport, RunReport, Selection};

/// `wharf plugin replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The candidate `.wasm`; its manifest is the `.toml` beside it.
    pub candidate: PathBuf,
    /// The job whose recorded inbound messages are replayed: its activity id.
    #[arg(long)]
    pub job: String,
    /// Only messages enqueued since then: an RFC 3339 time, or a duration back from now
    /// (`2h`, `7d`).
    #[arg(long)]
    pub since: Option<String>,
    /// At most this many messages, the newest.
    #[arg(long, default_value_t = DEFAULT_LIMIT)]
    pub limit: u32,
    /// The deployment directory.
    #[arg(long, env = "WHARF_DEPLOYMENT", default_value = ".")]
    pub deployment: PathBuf,
    /// The data directory, instead of the deployment's.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs the replay and prints its report.
pub fn run(args: ReplayArgs, out: &mut dyn Write) -> Outcome {
    let since = args.since.as_deref().map(replay::parse_since).transpose().map_err(unusable)?;
    let activity = parse_activity(&args.job)
        .with_context(|| format!("{:?} is not a job's activity id (a GUID)", args.job))
        .map_err(unusable)?;
    let deployment = Deployment::open(&args.deployment, args.data.as_deref()).map_err(unusable)?;
    let database = server_database(&deployment).map_err(unusable)?;
    let job = find_job(&deployment, &database, activity).map_err(unusable)?;
    let project = deployment.projects.require(&job.project).map_err(unusable)?;
    let candidate = replay::load_candidate(&deployment.pipeline.registry, &args.candidate).map_err(unusable)?;
    let bodies = bodies(&deployment);
    let replay = Replay { pipeline: &deployment.pipeline, job: &job, project, database: &database, bodies: &bodies };
    let report = replay.run(candidate, Selection { since, limit: args.limit.max(1) }).map_err(failed)?;
    database.close();
    let printed = match args.json {
        true => serde_json::to_string_pretty(&report).map_err(anyhow::Error::from).and_then(|json| {
            writeln!(out, "{json}")?;
            Ok(())
        }),
        false => print(&report, out),
    };
    printed.map_err(failed)?;
    Ok(if report.differs { Exit::CandidateDiffers } else { Exit::Success })
}

/// The server database of `deployment`, which must exist: a replay reads what a server
/// recorded.
fn server_database(deployment: &Deployment) -> Result<Database> {
    let path = deployment.data_dir().join("server.db");
    anyhow::ensure!(
        path.is_file(),
        "no server database at {}: no message was ever recorded for this deployment",
        path.display()
    );
    Database::open(&path)
}

/// Where the server kept `deployment`'s message bodies.
fn bodies(deployment: &Deployment) -> Bodies {
    let queue = deployment.data_dir().join("queue");
    Bodies { dir: queue.join("bodies"), incoming: queue.join("incoming") }
}

/// The job `activity`, from the deployment's jobs directory or the management API's.
fn find_job(deployment: &Deployment, database: &Database, activity: uuid::Uuid) -> Result<Job> {
    let catalog = &deployment.pipeline.catalog;
    let mut jobs = job::load_dir(&deployment.jobs_dir(), &deployment.projects, catalog)?;
    if let Some(job) = jobs.remove(&activity) {
        return Ok(job);
    }
    let queue = crate::jobs::Queue::new(database.clone(), bodies(deployment), Default::default());
    crate::jobs::stored_jobs(&queue)?
        .into_iter()
        .find(|job| job.activity == activity)
        .with_context(|| format!("no job {activity} in {} or the management API's", deployment.jobs_dir().display()))
}

/// The report as a table an operator reads.
fn print(report: &ReplayReport, out: &mut dyn Write) -> Result<()> {
    let serving = report.serving.as_deref().unwrap_or("nothing");
    writeln!(
        out,
        "replay of {} against {serving}: {} messages of job {}",
        report.candidate,
        report.messages.len(),
        report.job
    )?;
    for message in &report.messages {
        print_message(message, out)?;
    }
    let summary = &report.summary;
    writeln!(out)?;
    writeln!(
        out,
        "summary   {} of {} messages differ; rows {} added, {} removed, {} changed; rejects {} appearing, {} fixed",
        summary.differing,
        summary.messages,
        summary.rows_added,
        summary.rows_removed,
        summary.rows_changed,
        summary.rejects_appearing,
        summary.rejects_fixed
    )?;
    for (name, totals) in [("serving", &summary.serving), ("candidate", &summary.candidate)] {
        writeln!(
            out,
            "{name:<9} {} rows, {} rejected, {} failed, {} traps, {} limit hits, {:.2} µs/row",
            totals.rows, totals.rejected, totals.failures, totals.traps, totals.limit_hits, totals.us_per_row
        )?;
    }
    writeln!(out, "{}", if report.differs { "the candidate differs" } else { "the candidate changes nothing" })?;
    Ok(())
}

fn print_message(message: &MessageReport, out: &mut dyn Write) -> Result<()> {
    let name = message.external_id.as_deref().map(|name| format!(" ({name})")).unwrap_or_default();
    let verdict = if message.differs { "differs" } else { "same" };
    writeln!(out)?;
    writeln!(
        out,
        "message {}{name}, enqueued {}: {} rows read, {verdict}",
        message.message, message.enqueued, message.rows_read
    )?;
    print_run("serving", &message.serving, out)?;
    print_run("candidate", &message.candidate, out)?;
    for (entity, diff) in &message.entities {
        writeln!(out, "  {entity}: {} added, {} removed, {} changed", diff.added, diff.removed, diff.changed)?;
        for example in &diff.examples {
            match &example.field {
                Some(field) => writeln!(
                    out,
                    "    {} {field}: {} -> {}",
                    example.key,
                    show(&example.serving),
                    show(&example.candidate)
                )?,
                None if example.candidate.is_null() => writeln!(out, "    {} removed", example.key)?,
                None => writeln!(out, "    {} added", example.key)?,
            }
        }
    }
    for (what, rejects) in [("would appear", &message.rejects_appearing), ("would be fixed", &message.rejects_fixed)] {
        for reject in rejects {
            let field = reject.field.as_deref().map(|field| format!(", {field}")).unwrap_or_default();
            writeln!(out, "  reject {what}: row {} ({}{field}): {}", reject.row, reject.entity, reject.message)?;
        }
    }
    Ok(())
}

fn print_run(name: &str, run: &RunReport, out: &mut dyn Write) -> Result<()> {
    write!(out, "  {name:<9} {} rows, {} rejected, {:.2} µs/row", run.rows, run.rejected, run.us_per_row)?;
    match (&run.failure, run.fault) {
        (Some(failure), Some(fault)) => writeln!(out, "; stops on a {fault}: {failure}")?,
        (Some(failure), None) => writeln!(out, "; stops: {failure}")?,
        _ => writeln!(out)?,
    }
    Ok(())
}

/// A value as the table shows it: text quoted, null as `-`.
fn show(value: &Json) -> String {
    match value {
        Json::Null => "-".to_owned(),
        other => other.to_string(),
    }
}
