//! Recurring jobs: a data project on a schedule, reached through its activity id, with the
//! clients allowed to use it. Defined in the deployment's `jobs/` directory (one TOML file
//! each) or through the management API.
//!
//! ```toml
//! activity = "6d31e09f-0249-459f-94f0-aad9c2c47b64"  # the GUID clients put in the URL
//! name = "Fabrikam orders"                           # defaults to the file's stem
//! project = "Fabrikam orders"                        # the data project it runs
//! direction = "import"                               # must match the project's operation
//! mode = "file"                                      # "file" or "package"
//! entity = "Sales order headers"                     # file mode: the entity when the enqueue names none
//! company = "usmf"                                   # when the enqueue names none
//! processing = "1m"                                  # processing recurrence
//! monitoring = "5m"                                  # monitoring recurrence
//! in_order = true                                    # process files one at a time, oldest first
//! skip_when_empty = true                             # exports: no message when no rows
//! staging_only = false                               # imports: stop at staging for review
//!
//! [[authorized]]                                     # the authorization policy
//! client = "0f7c5d2e-8b3a-4e61-9d4f-2a1b6c8e3f57"             # a client id
//! enabled = true
//!
//! [inbound]                                          # imports: also take files dropped here
//! folder = "/srv/wharf/files/fabrikam/in"            # inside a `[jobs] folder_roots` root
//! stable_for = "2s"                                  # see `folders::Inbound` for the rest
//!
//! [outbound]                                         # exports: deliver files here, acknowledged
//! folder = "/srv/wharf/files/fabrikam/out"
//! ```

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context as _, Result, bail, ensure};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::folders::{Inbound, Outbound};
use crate::entity::Catalog;
use crate::pipeline::{Project, Projects};
use crate::store::Operation;

/// One recurring job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Job {
    /// The activity id clients address the job by.
    pub activity: Uuid,
    /// What operators call it; defaults to the project's name.
    #[serde(default)]
    pub name: String,
    /// The data project it runs.
    pub project: String,
    /// Import (enqueue → processing) or export (processing → dequeue).
    pub direction: Operation,
    /// Whether each message is one file of one entity or a data package.
    pub mode: Mode,
    /// File-mode imports: the entity of a message whose enqueue names none.
    #[serde(default)]
    pub entity: Option<String>,
    /// The company of a message whose enqueue names none (else the project's).
    #[serde(default)]
    pub company: Option<String>,
    /// How often queued messages are processed (imports) or the export runs, written as
    /// humans do ("30s", "5m", "1h 30m").
    #[serde(with = "humantime_serde", default = "one_minute")]
    #[schema(value_type = String, example = "1m")]
    pub processing: Duration,
    /// How often the job's messages are checked against their executions.
    #[serde(with = "humantime_serde", default = "five_minutes")]
    #[schema(value_type = String, example = "5m")]
    pub monitoring: Duration,
    /// Imports: process files one at a time in the order they came (not for packages, as in D365).
    #[serde(default)]
    pub in_order: bool,
    /// Exports: queue nothing when no rows were exported.
    #[serde(default)]
    pub skip_when_empty: bool,
    /// Imports: stop each message's execution after staging (D365's "import to staging only"),
    /// for an operator to review and copy to the target.
    #[serde(default)]
    pub staging_only: bool,
    /// The authorization policy: the clients that may use the job.
    #[serde(default)]
    pub authorized: Vec<Authorized>,
    /// Imports: a folder whose complete files are enqueued as they land.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inbound: Option<Inbound>,
    /// Exports: a folder each exported file is written to, which acknowledges its message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbound: Option<Outbound>,
    /// Where the job is defined; set by whoever loads it, whatever a definition says. (Read,
    /// so that a definition the management API kept, which names it, reads back.)
    #[serde(default)]
    pub source: JobSource,
}

/// One line of a job's authorization policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Authorized {
    /// The client id.
    pub client: String,
    /// Whether the line is in force.
    #[serde(default = "yes")]
    pub enabled: bool,
}

/// The shape of a job's messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// One document of one entity.
    File,
    /// A data package.
    Package,
}

/// Where a job is defined.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum JobSource {
    /// Created through the management API and kept in the server database.
    #[default]
    Api,
    /// A file of the deployment: change it there.
    Deployment,
}

impl Job {
    /// Whether `client` may use the job.
    pub fn allows(&self, client: &str) -> bool {
        self.authorized.iter().any(|line| line.enabled && line.client == client)
    }

    /// Fills defaults and checks the job against the deployment's projects.
    pub fn check(&mut self, projects: &Projects, catalog: &Catalog) -> Result<()> {
        let project: &Project = projects.require(&self.project)?;
        self.project.clone_from(&project.name);
        if self.name.trim().is_empty() {
            self.name.clone_from(&project.name);
        }
        ensure!(
            project.operation == self.direction,
            "job {} is an {} job but project {} is an {} project",
            self.name,
            self.direction.as_str(),
            project.name,
            project.operation.as_str()
        );
        ensure!(!self.processing.is_zero(), "job {}: the processing recurrence must be above zero", self.name);
        ensure!(!self.monitoring.is_zero(), "job {}: the monitoring recurrence must be above zero", self.name);
        if self.direction == Operation::Export && self.mode == Mode::File && project.entities.len() != 1 {
            bail!(
                "job {}: a file-mode export needs a project of one entity; project {} has {} (use mode = \"package\")",
                self.name,
                project.name,
                project.entities.len()
            );
        }
        if let Some(name) = &self.entity {
            let entity = catalog.require(name).with_context(|| format!("job {}", self.name))?;
            ensure!(
                project.entities.iter().any(|settings| entity.answers_to(&settings.entity)),
                "job {}: entity {name} is not part of project {}",
                self.name,
                project.name
            );
        }
        ensure!(
            self.inbound.is_none() || self.direction == Operation::Import,
            "job {}: only an import job takes files from an inbound folder",
            self.name
        );
        ensure!(
            self.outbound.is_none() || self.direction == Operation::Export,
            "job {}: only an export job writes files to an outbound folder",
            self.name
        );
        ensure!(
            self.inbound.is_none() || self.mode == Mode::Package || self.entity.is_some(),
            "job {}: a file-mode job with an inbound folder needs `entity`, the entity of its files",
            self.name
        );
        ensure!(
            !self.staging_only || self.direction == Operation::Import,
            "job {}: only an import stops at staging",
            self.name
        );
        self.company = self.company.as_ref().map(|company| company.to_ascii_lowercase());
        Ok(())
    }
}

/// Reads every `*.toml` job in `dir` (missing: none), checked against `projects`.
pub fn load_dir(dir: &Path, projects: &Projects, catalog: &Catalog) -> Result<BTreeMap<Uuid, Job>> {
    let mut jobs = BTreeMap::new();
    if !dir.is_dir() {
        return Ok(jobs);
    }
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|extension| extension == "toml"))
        .collect();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
        let mut job: Job = toml::from_str(&text).with_context(|| format!("invalid job {}", file.display()))?;
        if job.name.is_empty() {
            job.name = file.file_stem().map(|stem| stem.to_string_lossy().into_owned()).unwrap_or_default();
        }
        job.source = JobSource::Deployment;
        job.check(projects, catalog).with_context(|| format!("invalid job {}", file.display()))?;
        if let Some(other) = jobs.insert(job.activity, job) {
            bail!("{} uses activity id {} of job {} again", file.display(), other.activity, other.name);
        }
    }
    Ok(jobs)
}

/// Parses an activity id as clients send it: bare or braced, any case, URL-decoded.
pub fn parse_activity(text: &str) -> Option<Uuid> {
    let text = text.trim();
    let bare = text.strip_prefix('{').and_then(|text| text.strip_suffix('}')).unwrap_or(text);
    // Only the hyphenated form: `Uuid::parse_str` would also take a URN or 32 bare digits,
    // which no D365 client sends.
    (bare.len() == 36).then(|| Uuid::try_parse(bare).ok()).flatten()
}

fn yes() -> bool {
    true
}

fn one_minute() -> Duration {
    Duration::from_secs(60)
}

fn five_minutes() -> Duration {
    Duration::from_secs(300)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activity_ids_parse_braced_or_bare_in_any_case() {
        let expected = Uuid::parse_str("6d31e09f-0249-459f-94f0-aad9c2c47b64").expect("test setup");
        for text in [
            "6d31e09f-0249-459f-94f0-aad9c2c47b64",
            "6D31E09F-0249-459F-94F0-AAD9C2C47B64",
            "{6D31E09F-0249-459F-94F0-AAD9C2C47B64}",
            "{6d31e09f-0249-459f-94f0-aad9c2c47b64}",
        ] {
            assert_eq!(parse_activity(text), Some(expected), "{text}");
        }
        for text in ["", "{}", "6d31e09f02490459f94f0aad9c2c47b64", "{6d31e09f-0249-459f-94f0-aad9c2c47b6}", "x"] {
            assert_eq!(parse_activity(text), None, "{text}");
        }
    }
}
