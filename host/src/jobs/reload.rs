//! Reloading while serving: the definition directories are watched, and a change reloads the
//! entities and projects (see [`Definitions`](crate::deployment::Definitions)), then the jobs
//! of `jobs/`, each file checked against what serves then. A job file that fails keeps its
//! previous job serving, with the reason in [`Jobs::definitions`]; a removed file removes its
//! job (its messages stay in the queue); a job whose file changed restarts its inbound
//! folder's watcher. Jobs made through the management API are left alone, and a job of the
//! files still hides one of theirs with the same activity id.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, PoisonError};

use anyhow::{Context as _, Result, bail};
use uuid::Uuid;

use super::{Job, JobSource, Jobs, folders, stored_jobs};
use crate::deployment::{DefinitionKind, DefinitionState, Definitions, Deployment, Outcome, label, read_files, stem};
use crate::watcher::{Change, Watcher, is_definition_file};

/// A job of the deployment's files: as its file says, and as it serves (checked, its folders
/// resolved).
#[derive(Debug, Clone)]
pub(super) struct FileJob {
    read: Job,
    job: Arc<Job>,
}

/// The jobs of the deployment's files when the service opened, by file name: `jobs` are the
/// ones opened, by activity id.
pub(super) fn opened(deployment: &Deployment, jobs: &BTreeMap<Uuid, Arc<Job>>) -> Result<BTreeMap<String, FileJob>> {
    let dir = deployment.jobs_dir();
    let mut files = BTreeMap::new();
    let mut outcomes = Vec::new();
    if dir.is_dir() {
        for (name, text) in read_files(&dir)? {
            let read = parse(&name, &text?)?;
            let job = jobs.get(&read.activity).cloned().with_context(|| format!("job {} did not open", read.name))?;
            outcomes.push(Outcome { file: label(&dir, &name), name: job.name.clone(), refusal: None });
            files.insert(name, FileJob { read, job });
        }
    }
    deployment.record_definitions(DefinitionKind::Job, outcomes);
    Ok(files)
}

/// The job in file `name` as written, its name the file's stem when it gives none.
fn parse(name: &str, text: &str) -> Result<Job> {
    let mut job: Job = toml::from_str(text)?;
    if job.name.is_empty() {
        job.name = stem(name);
    }
    job.source = JobSource::Deployment;
    Ok(job)
}

impl Jobs {
    /// Every definition file's state (entities, projects, jobs): serving, or refused with the
    /// reason while its previous definition serves.
    pub fn definitions(&self) -> Vec<DefinitionState> {
        self.deployment().definition_states()
    }

    /// Reads the definition directories again and swaps in what passes its checks: entities
    /// and projects first, then the jobs against them. The definition watcher calls it; so
    /// may a caller that changed the files and cannot wait for the watcher.
    pub fn reload(&self) {
        if *self.inner.stopping.borrow() {
            return;
        }
        self.deployment().reload_definitions();
        if let Err(error) = self.reload_jobs() {
            tracing::error!("cannot reload the jobs, the previous ones serve: {error:#}");
        }
    }

    /// Starts watching the definition directories: a change of a `*.toml` file in one of them
    /// reloads them all, once the changes settle.
    pub(super) fn watch_definitions(&self) -> Result<()> {
        let jobs = Arc::downgrade(&self.inner);
        let on_change = move |change: Change| {
            let relevant = match &change {
                Change::Lost => true,
                Change::Files(files) => files.iter().any(|file| is_definition_file(file)),
            };
            // The watcher lives in the service, so it holds it weakly: a dropped service stops.
            if let Some(inner) = jobs.upgrade().filter(|_| relevant) {
                Jobs { inner }.reload();
            }
        };
        let dirs = self.deployment().definition_dirs();
        let watcher = Watcher::start("definition directories", &dirs, Watcher::DEFAULT_DEBOUNCE, on_change)?;
        tracing::info!("watching the entity, project and job directories: changed definitions are reloaded");
        *self.inner.definition_watcher.lock().unwrap_or_else(PoisonError::into_inner) = Some(watcher);
        Ok(())
    }

    /// Reads `jobs/` again, checks each file against the definitions serving now, and swaps
    /// the jobs in; restarts the inbound folder watchers of the jobs that changed.
    fn reload_jobs(&self) -> Result<()> {
        let deployment = self.deployment();
        let definitions = deployment.definitions();
        let dir = deployment.jobs_dir();
        let texts = if dir.is_dir() { read_files(&dir)? } else { Vec::new() };

        let mut files = self.inner.job_files.lock().unwrap_or_else(PoisonError::into_inner);
        let mut next: BTreeMap<String, FileJob> = BTreeMap::new();
        let mut outcomes = Vec::new();
        for (name, text) in texts {
            let file = label(&dir, &name);
            let loaded = text
                .and_then(|text| parse(&name, &text))
                .and_then(|read| self.checked(read, files.get(&name), &definitions))
                .and_then(|loaded| unique(&loaded, &next).map(|()| loaded))
                .with_context(|| format!("invalid job {file}"));
            let (loaded, refusal) = match loaded {
                Ok(loaded) => (Some(loaded), None),
                Err(error) => (files.get(&name).cloned(), Some(format!("{error:#}"))),
            };
            let job_name = loaded.as_ref().map_or_else(|| stem(&name), |loaded| loaded.job.name.clone());
            outcomes.push(Outcome { file, name: job_name, refusal });
            if let Some(loaded) = loaded {
                next.insert(name, loaded);
            }
        }

        let serving: BTreeSet<Uuid> = next.values().map(|loaded| loaded.job.activity).collect();
        let gone: Vec<Uuid> =
            files.values().map(|loaded| loaded.job.activity).filter(|activity| !serving.contains(activity)).collect();
        // A job of the API that a removed file hid serves again.
        let uncovered: Vec<Job> = if gone.is_empty() {
            Vec::new()
        } else {
            stored_jobs(self.queue())?
                .into_iter()
                .filter(|job| gone.contains(&job.activity))
                .filter_map(|mut job| job.check(&definitions.projects, &definitions.catalog).ok().map(|()| job))
                .collect()
        };
        let before = self.inner.jobs.read().unwrap_or_else(PoisonError::into_inner).clone();
        {
            let mut jobs = self.inner.jobs.write().unwrap_or_else(PoisonError::into_inner);
            jobs.retain(|activity, job| job.source != JobSource::Deployment || serving.contains(activity));
            for job in uncovered {
                jobs.insert(job.activity, Arc::new(job));
            }
            for loaded in next.values() {
                jobs.insert(loaded.job.activity, loaded.job.clone());
            }
        }
        *files = next;
        drop(files);
        deployment.record_definitions(DefinitionKind::Job, outcomes);
        self.restart_inbound(&before);
        Ok(())
    }

    /// `read` checked against `definitions`, with its folders resolved; `previous` is what
    /// its file held before, whose resolved folders serve on when the file did not change
    /// (resolving creates folders and sweeps the outbound one).
    fn checked(&self, read: Job, previous: Option<&FileJob>, definitions: &Definitions) -> Result<FileJob> {
        let mut job = read.clone();
        job.check(&definitions.projects, &definitions.catalog)?;
        let job = match previous.filter(|previous| previous.read == read) {
            Some(previous) => {
                job.inbound.clone_from(&previous.job.inbound);
                job.outbound.clone_from(&previous.job.outbound);
                if job == *previous.job { previous.job.clone() } else { Arc::new(job) }
            }
            None => {
                let mut one = BTreeMap::from([(job.activity, job)]);
                folders::resolve(&mut one, &self.deployment().dir, &self.settings().folder_roots)?;
                Arc::new(one.into_values().next().context("the job went missing while its folders were resolved")?)
            }
        };
        Ok(FileJob { read, job })
    }

    /// Restarts the inbound folder watcher of each job that changed since `before` (and stops
    /// those of removed jobs), so that its files go to the job as it is now.
    fn restart_inbound(&self, before: &BTreeMap<Uuid, Arc<Job>>) {
        let after: HashMap<Uuid, Arc<Job>> = self.jobs().into_iter().map(|job| (job.activity, job)).collect();
        let activities: BTreeSet<Uuid> = before.keys().chain(after.keys()).copied().collect();
        let mut watchers = self.inner.inbound.lock().unwrap_or_else(PoisonError::into_inner);
        for activity in activities {
            let (old, new) = (before.get(&activity), after.get(&activity));
            if let (Some(old), Some(new)) = (old, new)
                && Arc::ptr_eq(old, new)
            {
                continue;
            }
            let had = old.is_some_and(|job| job.inbound.is_some());
            let has = new.is_some_and(|job| job.inbound.is_some());
            if !had && !has {
                continue;
            }
            // Dropping a watcher stops its thread; the folder's files wait for the next one.
            watchers.remove(&activity);
            let Some(job) = new else { continue };
            match folders::watch_job(self, job, &self.inner.runtime) {
                Ok(Some(watcher)) => {
                    watchers.insert(activity, watcher);
                    tracing::info!(activity = %activity, "the inbound folder of job {} is watched for it as changed", job.name);
                }
                Ok(None) => {}
                Err(error) => tracing::error!(activity = %activity, "{error:#}"),
            }
        }
    }
}

/// Fails when `loaded` takes an activity id or an inbound folder that a job of `others`
/// already has.
fn unique(loaded: &FileJob, others: &BTreeMap<String, FileJob>) -> Result<()> {
    let inbound = |job: &Job| job.inbound.as_ref().map(|inbound| inbound.folder.clone());
    for (name, other) in others {
        if other.job.activity == loaded.job.activity {
            bail!("it uses activity id {} of job {} ({name}) again", loaded.job.activity, other.job.name);
        }
        let folder: Option<PathBuf> = inbound(&loaded.job);
        if folder.is_some() && folder == inbound(&other.job) {
            bail!("jobs {} and {} would watch the same inbound folder", other.job.name, loaded.job.name);
        }
    }
    Ok(())
}
