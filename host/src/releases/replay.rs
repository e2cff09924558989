//! Replay: a candidate plugin version runs over the bodies of a job's recorded inbound
//! messages side by side with the version serving now, through a dry run of the import each
//! (see [`Pipeline::dry_run`]), and what would differ is reported per message: rows added,
//! removed or changed per entity with examples of the fields, rejects that would appear or be
//! fixed, traps and limit hits, and what each version costs per row. Nothing is written: not
//! to the store, not to the queue, no error file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use rusqlite::params;
use serde::Serialize;
use serde_json::{Map, Value as Json};
use uuid::Uuid;

use crate::jobs::queue::format_millis;
use crate::jobs::{Bodies, Database, Job, Mode};
use crate::pipeline::{DryReject, DryRun, Input, Pipeline, Project, RunOptions};
use crate::plugin::{Fault, Plugin, Registry};

/// Messages a replay takes when not told otherwise.
pub const DEFAULT_LIMIT: u32 = 100;
/// Field differences shown per entity and message.
const EXAMPLES: usize = 3;

/// Which recorded messages to replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Selection {
    /// Only messages enqueued at or after this time (milliseconds since the epoch).
    pub since: Option<i64>,
    /// At most this many, the newest; reported oldest first.
    pub limit: u32,
}

/// A recorded inbound message, as a replay reads it.
#[derive(Debug, Clone)]
struct Recorded {
    id: Uuid,
    entity: Option<String>,
    company: Option<String>,
    external_id: Option<String>,
    enqueued_at: i64,
    /// The body, when the row holds it; else it is the body file named after the message.
    inline: Option<Vec<u8>>,
}

/// What a replay found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplayReport {
    /// The job's activity id.
    pub job: Uuid,
    /// `name@version` serving now (none when the candidate's name serves nothing yet).
    pub serving: Option<String>,
    /// `name@version` of the candidate.
    pub candidate: String,
    /// Per message, oldest first.
    pub messages: Vec<MessageReport>,
    /// The totals.
    pub summary: Summary,
    /// Whether the candidate would change anything at all.
    pub differs: bool,
}

/// One message replayed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MessageReport {
    /// The message id.
    pub message: Uuid,
    /// When it was enqueued.
    pub enqueued: String,
    /// The sender's correlation id (often the file name).
    pub external_id: Option<String>,
    /// Source rows read.
    pub rows_read: u64,
    /// The serving version's run.
    pub serving: RunReport,
    /// The candidate's run.
    pub candidate: RunReport,
    /// Per entity label, the rows that would change.
    pub entities: BTreeMap<String, EntityDiff>,
    /// Rows the candidate rejects and the serving version does not.
    pub rejects_appearing: Vec<Reject>,
    /// Rows the serving version rejects and the candidate does not.
    pub rejects_fixed: Vec<Reject>,
    /// Whether anything differs for this message.
    pub differs: bool,
}

/// One version's dry run of one message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunReport {
    /// Rows it would write.
    pub rows: u64,
    /// Rows it would reject.
    pub rejected: u64,
    /// Why the run would stop early, if it would.
    pub failure: Option<String>,
    /// `trap` or `limit` when a plugin call of it did that.
    pub fault: Option<&'static str>,
    /// Microseconds per source row spent mapping, converting and filtering.
    pub us_per_row: f64,
}

/// Rows of one entity that would change.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EntityDiff {
    /// Keys only the candidate writes.
    pub added: u64,
    /// Keys only the serving version writes.
    pub removed: u64,
    /// Keys both write with different fields.
    pub changed: u64,
    /// A few of the differences.
    pub examples: Vec<Example>,
}

/// A difference shown as an example.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Example {
    /// The row's key (key fields' values joined with `|`).
    pub key: String,
    /// The field that differs; none for a row added or removed whole.
    pub field: Option<String>,
    /// The serving version's value (its whole row, for a removed row).
    pub serving: Json,
    /// The candidate's value (its whole row, for an added row).
    pub candidate: Json,
}

/// A rejected row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reject {
    /// The entity label.
    pub entity: String,
    /// The source row, from 1.
    pub row: u64,
    /// The field at fault.
    pub field: Option<String>,
    /// Why.
    pub message: String,
}

/// The totals of a replay.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Messages replayed.
    pub messages: u64,
    /// Messages for which something differs.
    pub differing: u64,
    /// Rows added, removed and changed, all entities.
    pub rows_added: u64,
    /// See `rows_added`.
    pub rows_removed: u64,
    /// See `rows_added`.
    pub rows_changed: u64,
    /// Rejects that would appear.
    pub rejects_appearing: u64,
    /// Rejects that would be fixed.
    pub rejects_fixed: u64,
    /// The serving version's totals.
    pub serving: VersionTotals,
    /// The candidate's totals.
    pub candidate: VersionTotals,
    /// Messages replayed per second (both versions' runs).
    pub messages_per_s: f64,
}

/// One version's totals over a replay.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct VersionTotals {
    /// Rows it would write.
    pub rows: u64,
    /// Rows it would reject.
    pub rejected: u64,
    /// Messages whose run would stop early.
    pub failures: u64,
    /// Messages where a call trapped.
    pub traps: u64,
    /// Messages where a call hit a limit.
    pub limit_hits: u64,
    /// Microseconds per source row, over all messages.
    pub us_per_row: f64,
}

/// A replay of `job`'s recorded messages: the serving `pipeline`, the job's `project`, its
/// queue `database` and `bodies`.
#[derive(Debug)]
pub struct Replay<'a> {
    /// What imports run with now.
    pub pipeline: &'a Pipeline,
    /// The job.
    pub job: &'a Job,
    /// Its project.
    pub project: &'a Project,
    /// The server database holding the queue.
    pub database: &'a Database,
    /// Where large bodies are.
    pub bodies: &'a Bodies,
}

impl Replay<'_> {
    /// Replays the `selection` of the job's messages with `candidate` beside the serving
    /// version. Blocking.
    pub fn run(&self, candidate: Arc<Plugin>, selection: Selection) -> Result<ReplayReport> {
        let name = candidate.manifest().name.clone();
        let uses = |entity: &crate::pipeline::ProjectEntity| {
            [&entity.transform, &entity.mapper, &entity.filter].into_iter().flatten().any(|used| *used == name)
        };
        if !self.project.entities.iter().any(uses) {
            bail!(
                "project {} of job {} does not use plugin {name}: a replay would show no difference",
                self.project.name,
                self.job.activity
            );
        }
        let serving = self.pipeline.registry.by_name(&name).map(|plugin| plugin.id().to_owned());
        let candidate_id = candidate.id().to_owned();
        let registry =
            self.pipeline.registry.with_version(candidate).context("the candidate cannot serve beside the others")?;
        let trial = Pipeline { registry: Arc::new(registry), ..self.pipeline.clone() };
        let started = std::time::Instant::now();
        let mut messages = Vec::new();
        for message in self.recorded(selection)? {
            messages.push(self.message(&trial, &message)?);
        }
        let summary = summarize(&messages, started.elapsed());
        let differs = summary.differing > 0;
        Ok(ReplayReport { job: self.job.activity, serving, candidate: candidate_id, messages, summary, differs })
    }

    /// The recorded inbound messages of the job the selection takes, oldest first.
    fn recorded(&self, selection: Selection) -> Result<Vec<Recorded>> {
        let activity = self.job.activity.to_string();
        let mut messages = self.database.read(move |connection| {
            let mut statement = connection.prepare_cached(
                "SELECT id, entity, company, external_id, enqueued_at, body FROM queue_messages
                 WHERE activity = ?1 AND operation = 'Import' AND enqueued_at >= ?2
                 ORDER BY seq DESC LIMIT ?3",
            )?;
            let rows = statement.query_map(
                params![activity, selection.since.unwrap_or(i64::MIN), selection.limit],
                |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, Option<String>>(1)?,
                        row.get::<_, Option<String>>(2)?,
                        row.get::<_, Option<String>>(3)?,
                        row.get::<_, i64>(4)?,
                        row.get::<_, Option<Vec<u8>>>(5)?,
                    ))
                },
            )?;
            let mut messages = Vec::new();
            for row in rows {
                let (id, entity, company, external_id, enqueued_at, inline) = row?;
                let id = Uuid::parse_str(&id).context("the queue holds a malformed message id")?;
                messages.push(Recorded { id, entity, company, external_id, enqueued_at, inline });
            }
            Ok(messages)
        })?;
        messages.reverse();
        Ok(messages)
    }

    /// Both versions' dry runs of `message`, compared.
    fn message(&self, trial: &Pipeline, message: &Recorded) -> Result<MessageReport> {
        // An inline body goes to a temporary file, as for an import; it is removed after.
        let temporary = match &message.inline {
            Some(bytes) => {
                let mut file = tempfile::NamedTempFile::new().context("cannot make a file for a message's body")?;
                std::io::Write::write_all(&mut file, bytes).context("cannot write a message's body")?;
                Some(file)
            }
            None => None,
        };
        let path: PathBuf = match &temporary {
            Some(file) => file.path().to_owned(),
            None => self.bodies.path(&message.id.to_string()),
        };
        if !path.is_file() {
            bail!("the body of message {} is gone from {}", message.id, path.display());
        }
        let input = match self.job.mode {
            Mode::Package => Input::Package { path },
            Mode::File => Input::File { path, entity: message.entity.clone().or_else(|| self.job.entity.clone()) },
        };
        let company = message.company.clone().or_else(|| self.job.company.clone());
        let options = RunOptions {
            companies: company.clone().map(|company| [company.to_ascii_lowercase()].into()),
            company,
            job: Some(self.job.activity.to_string()),
            message: Some(message.id.to_string()),
            correlation_id: message.external_id.clone(),
            staging_only: self.job.staging_only,
            ..RunOptions::default()
        };
        let serving = self.pipeline.dry_run(self.project, &input, &options)?;
        let candidate = trial.dry_run(self.project, &input, &options)?;
        Ok(compare(message, &serving, &candidate))
    }
}

/// The report of one message from its two runs.
fn compare(message: &Recorded, serving: &DryRun, candidate: &DryRun) -> MessageReport {
    let labels: BTreeSet<&String> = serving.rows.keys().chain(candidate.rows.keys()).collect();
    let empty = BTreeMap::new();
    let mut entities = BTreeMap::new();
    for label in labels {
        let diff = diff_rows(serving.rows.get(label).unwrap_or(&empty), candidate.rows.get(label).unwrap_or(&empty));
        if diff.added + diff.removed + diff.changed > 0 {
            entities.insert(label.clone(), diff);
        }
    }
    let rejects_appearing = only_in(&candidate.rejected, &serving.rejected);
    let rejects_fixed = only_in(&serving.rejected, &candidate.rejected);
    let failure = |run: &DryRun| run.failure.as_ref().map(|failure| failure.message.clone());
    let (serving_run, candidate_run) = (run_report(serving), run_report(candidate));
    let differs = !entities.is_empty()
        || !rejects_appearing.is_empty()
        || !rejects_fixed.is_empty()
        || failure(serving).is_some() != failure(candidate).is_some()
        || serving_run.fault != candidate_run.fault;
    MessageReport {
        message: message.id,
        enqueued: format_millis(message.enqueued_at),
        external_id: message.external_id.clone(),
        rows_read: serving.rows_read.max(candidate.rows_read),
        serving: serving_run,
        candidate: candidate_run,
        entities,
        rejects_appearing,
        rejects_fixed,
        differs,
    }
}

/// The rows of one entity that differ between the serving version's and the candidate's.
fn diff_rows(
    serving: &BTreeMap<String, Map<String, Json>>,
    candidate: &BTreeMap<String, Map<String, Json>>,
) -> EntityDiff {
    let mut diff = EntityDiff::default();
    let example = |diff: &mut EntityDiff, example: Example| {
        if diff.examples.len() < EXAMPLES {
            diff.examples.push(example);
        }
    };
    for (key, row) in serving {
        match candidate.get(key) {
            None => {
                diff.removed += 1;
                let (serving, candidate) = (Json::Object(row.clone()), Json::Null);
                example(&mut diff, Example { key: key.clone(), field: None, serving, candidate });
            }
            Some(other) if other != row => {
                diff.changed += 1;
                let fields: BTreeSet<&String> = row.keys().chain(other.keys()).collect();
                for field in fields.into_iter().filter(|field| row.get(*field) != other.get(*field)) {
                    let value = |row: &Map<String, Json>| row.get(field).cloned().unwrap_or(Json::Null);
                    let (serving, candidate) = (value(row), value(other));
                    example(&mut diff, Example { key: key.clone(), field: Some(field.clone()), serving, candidate });
                }
            }
            Some(_) => {}
        }
    }
    for (key, row) in candidate.iter().filter(|(key, _)| !serving.contains_key(*key)) {
        diff.added += 1;
        let (serving, candidate) = (Json::Null, Json::Object(row.clone()));
        example(&mut diff, Example { key: key.clone(), field: None, serving, candidate });
    }
    diff
}

/// The rejects of `ours` whose (entity, row) `theirs` does not reject.
fn only_in(ours: &[DryReject], theirs: &[DryReject]) -> Vec<Reject> {
    let rejected: BTreeSet<(&str, u64)> = theirs.iter().map(|reject| (reject.entity.as_str(), reject.row)).collect();
    ours.iter()
        .filter(|reject| !rejected.contains(&(reject.entity.as_str(), reject.row)))
        .map(|reject| Reject {
            entity: reject.entity.clone(),
            row: reject.row,
            field: reject.field.clone(),
            message: reject.message.clone(),
        })
        .collect()
}

fn run_report(run: &DryRun) -> RunReport {
    let fault = run.failure.as_ref().and_then(|failure| failure.call.as_ref()).and_then(|call| Fault::of(&call.kind));
    RunReport {
        rows: run.rows.values().map(|rows| rows.len() as u64).sum(),
        rejected: run.rejected.len() as u64,
        failure: run.failure.as_ref().map(|failure| failure.message.clone()),
        fault: fault.map(|fault| match fault {
            Fault::Trap => "trap",
            Fault::Limit => "limit",
        }),
        us_per_row: per_row(run.staging, run.rows_read),
    }
}

fn per_row(time: Duration, rows: u64) -> f64 {
    if rows == 0 { 0.0 } else { (time.as_secs_f64() * 1e6 / rows as f64 * 100.0).round() / 100.0 }
}

fn summarize(messages: &[MessageReport], elapsed: Duration) -> Summary {
    let mut summary = Summary { messages: messages.len() as u64, ..Summary::default() };
    let (mut serving_us, mut candidate_us, mut rows_read) = (0.0, 0.0, 0u64);
    for message in messages {
        summary.differing += u64::from(message.differs);
        for diff in message.entities.values() {
            summary.rows_added += diff.added;
            summary.rows_removed += diff.removed;
            summary.rows_changed += diff.changed;
        }
        summary.rejects_appearing += message.rejects_appearing.len() as u64;
        summary.rejects_fixed += message.rejects_fixed.len() as u64;
        add(&mut summary.serving, &message.serving);
        add(&mut summary.candidate, &message.candidate);
        serving_us += message.serving.us_per_row * message.rows_read as f64;
        candidate_us += message.candidate.us_per_row * message.rows_read as f64;
        rows_read += message.rows_read;
    }
    let average = |total: f64| if rows_read == 0 { 0.0 } else { (total / rows_read as f64 * 100.0).round() / 100.0 };
    summary.serving.us_per_row = average(serving_us);
    summary.candidate.us_per_row = average(candidate_us);
    let seconds = elapsed.as_secs_f64();
    summary.messages_per_s = if seconds > 0.0 { (messages.len() as f64 / seconds * 10.0).round() / 10.0 } else { 0.0 };
    summary
}

fn add(totals: &mut VersionTotals, run: &RunReport) {
    totals.rows += run.rows;
    totals.rejected += run.rejected;
    totals.failures += u64::from(run.failure.is_some());
    totals.traps += u64::from(run.fault == Some("trap"));
    totals.limit_hits += u64::from(run.fault == Some("limit"));
}

/// Loads the candidate `.wasm` (its manifest beside it) with `registry`'s runtime, and starts
/// it once under its limits, as a load into the registry would.
pub fn load_candidate(registry: &Registry, file: &std::path::Path) -> Result<Arc<Plugin>> {
    let plugin = registry.runtime().load(file)?;
    plugin
        .instantiate()
        .map_err(anyhow::Error::from)
        .with_context(|| format!("plugin {} cannot start within its limits", file.display()))?;
    Ok(Arc::new(plugin))
}

/// A `--since` value: an RFC 3339 time, or a duration back from now (`2h`, `7d`), as
/// milliseconds since the epoch.
pub fn parse_since(text: &str) -> Result<i64> {
    if let Ok(time) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(time.timestamp_millis());
    }
    let back = humantime_serde::re::humantime::parse_duration(text).map_err(|_| {
        anyhow::anyhow!("{text:?} is neither an RFC 3339 time (2026-01-31T08:00:00Z) nor a duration (2h, 7d)")
    })?;
    Ok(crate::jobs::queue::now_millis() - crate::jobs::queue::millis(back))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(rows: &[(&str, Json)]) -> BTreeMap<String, Map<String, Json>> {
        rows.iter().map(|(key, row)| (key.to_string(), row.as_object().expect("an object").clone())).collect()
    }

    #[test]
    fn rows_are_compared_by_key_with_the_fields_that_differ_as_examples() {
        let serving = rows(&[
            ("a", serde_json::json!({ "K": "a", "G": "DOM", "N": 1 })),
            ("b", serde_json::json!({ "K": "b", "G": "INTL", "N": 2 })),
            ("c", serde_json::json!({ "K": "c", "G": "DOM", "N": 3 })),
        ]);
        let candidate = rows(&[
            ("a", serde_json::json!({ "K": "a", "G": "INTL", "N": 1 })),
            ("b", serde_json::json!({ "K": "b", "G": "INTL", "N": 2 })),
            ("d", serde_json::json!({ "K": "d", "G": "DOM", "N": 4 })),
        ]);
        let diff = diff_rows(&serving, &candidate);
        assert_eq!((diff.added, diff.removed, diff.changed), (1, 1, 1));
        let shown: Vec<(&str, Option<&str>)> =
            diff.examples.iter().map(|example| (example.key.as_str(), example.field.as_deref())).collect();
        assert_eq!(shown, [("a", Some("G")), ("c", None), ("d", None)]);
        assert_eq!(
            (diff.examples[0].serving.clone(), diff.examples[0].candidate.clone()),
            (Json::from("DOM"), Json::from("INTL"))
        );
        assert_eq!(diff_rows(&serving, &serving), EntityDiff::default());
    }

    #[test]
    fn rejects_are_matched_by_entity_and_row_whatever_their_message() {
        let reject = |row: u64, message: &str| DryReject {
            entity: "Customers".into(),
            row,
            field: None,
            message: message.into(),
        };
        let serving = [reject(1, "bad"), reject(2, "bad")];
        let candidate = [reject(2, "worse"), reject(3, "new")];
        let rows = |rejects: Vec<Reject>| rejects.iter().map(|reject| reject.row).collect::<Vec<_>>();
        assert_eq!(rows(only_in(&candidate, &serving)), [3]);
        assert_eq!(rows(only_in(&serving, &candidate)), [1]);
    }

    #[test]
    fn since_takes_a_time_or_a_duration_back_from_now() {
        assert_eq!(parse_since("2026-01-31T08:00:00Z").expect("a time"), 1_769_846_400_000);
        let hour_ago = parse_since("1h").expect("a duration");
        let expected = crate::jobs::queue::now_millis() - 3_600_000;
        assert!((hour_ago - expected).abs() < 5_000, "{hour_ago} vs {expected}");
        let error = parse_since("yesterday").expect_err("neither").to_string();
        assert!(error.contains("neither an RFC 3339 time"), "{error}");
    }
}
