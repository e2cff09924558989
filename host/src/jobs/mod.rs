//! Recurring jobs and the durable queue between them and the outside world: messages that
//! clients enqueue and the scheduler imports, exports the scheduler queues for clients to
//! dequeue, and the blobs and executions of the data-package API.
//!
//! Knows nothing of HTTP: the `api` module turns requests into calls on [`Jobs`]. Work runs
//! through the [`Pipeline`](crate::pipeline::Pipeline) on blocking threads, at most
//! `workers` at a time.
//!
//! The queue lives in `data/server.db` (SQLite, WAL, `synchronous=FULL`), beside the entity
//! store rather than in it: a long import holds the store's writer, and enqueues must not wait
//! for it. Bodies over [`bodies::INLINE_LIMIT`] live in `data/queue/bodies/`.
pub mod blobs;
pub mod bodies;
pub mod database;
pub mod folders;
pub mod intake;
pub mod job;
pub mod overview;
pub mod packages;
pub mod queue;
mod reload;
mod scheduler;

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, Semaphore, watch};
use uuid::Uuid;

pub use blobs::{Blob, BlobKind, Blobs};
pub use bodies::{Bodies, Body};
pub use database::Database;
pub use job::{Authorized, Job, JobSource, Mode};
pub use overview::Overview;
pub use queue::{
    AckOutcome, ActionOutcome, BadCursor, BodySearch, BulkOutcome, Depth, EventKind, Lease, Message, MessageAction,
    MessageFilter, MessagePage, MessageQuery, MessageStatus, NewMessage, Queue, QueueSettings, TextMatch,
    TimelineEvent, Total, parse_time,
};

use crate::backend::Backend;
use crate::deployment::Deployment;
use crate::releases::Releases;

/// How the job service runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JobSettings {
    /// Messages and exports processed at the same time, all jobs together. `0`: none; the
    /// process serves the API and leaves processing to other replicas on the same database.
    pub workers: usize,
    /// How often the scheduler looks for due jobs.
    #[serde(with = "humantime_serde")]
    pub tick: Duration,
    /// The directories jobs' inbound and outbound folders must be inside (none: jobs may
    /// name no folder). Only the operator decides these; no client names a path.
    pub folder_roots: Vec<std::path::PathBuf>,
    /// The queue's rules.
    #[serde(flatten)]
    pub queue: QueueSettings,
}

impl Default for JobSettings {
    fn default() -> Self {
        JobSettings {
            workers: std::thread::available_parallelism().map_or(2, usize::from),
            tick: Duration::from_millis(200),
            folder_roots: Vec::new(),
            queue: QueueSettings::default(),
        }
    }
}

/// The job service: jobs, their queue, the package API's blobs and the scheduler's state.
/// Cheap to clone.
#[derive(Debug, Clone)]
pub struct Jobs {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    deployment: Deployment,
    settings: JobSettings,
    /// This process's server database: the queue's and the blobs' with SQLite, and the
    /// plugin decisions' with either backend.
    database: Database,
    queue: Queue,
    blobs: Blobs,
    jobs: RwLock<BTreeMap<Uuid, Arc<Job>>>,
    /// Bounds the executions running at once.
    workers: Arc<Semaphore>,
    /// Messages this process is processing now.
    in_flight: Mutex<HashSet<Uuid>>,
    /// Jobs with a processing run under way.
    running: Mutex<HashSet<Uuid>>,
    /// Set to `true` to stop taking new work.
    stopping: watch::Sender<bool>,
    /// The jobs' inbound folders by job, watched until [`Jobs::stop`].
    inbound: Mutex<BTreeMap<Uuid, folders::InboundWatcher>>,
    /// The jobs of the deployment's files by file name, as read and as serving.
    job_files: Mutex<BTreeMap<String, reload::FileJob>>,
    /// Watches the definition directories until [`Jobs::stop`].
    definition_watcher: Mutex<Option<crate::watcher::Watcher>>,
    /// The async runtime inbound folders enqueue on.
    runtime: tokio::runtime::Handle,
    /// Canaries, quarantine and the record of their decisions.
    releases: Arc<Releases>,
    /// Jobs an operator disabled, as last read from the queue database.
    disabled: RwLock<HashSet<Uuid>>,
    /// Jobs an operator asked to run now, until the scheduler starts their run.
    run_now: Mutex<HashSet<Uuid>>,
    /// Wakes the scheduler for a run now.
    wake: Arc<Notify>,
}

/// The answer to "run now".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunNow {
    /// The job.
    pub activity: Uuid,
    /// Whether the scheduler will start a run at once.
    pub queued: bool,
    /// Why not, when it will not.
    pub refused: Option<String>,
}

impl Jobs {
    /// Opens the job service of `deployment`: its `jobs/` directory, the server database in
    /// its data directory, and what a previous process left (bodies without rows are removed;
    /// messages it was processing are looked at by the first monitoring pass). Starts watching
    /// the jobs' inbound folders, whose enqueues run on the calling async runtime.
    /// With PostgreSQL as `backend`, the queue, its bodies, the jobs made through the API and
    /// the package API's blobs live there, shared with the other replicas; the plugin
    /// decisions stay in this replica's data directory.
    pub fn open(deployment: Deployment, settings: JobSettings, backend: &Backend) -> Result<Jobs> {
        let data = deployment.data_dir();
        let database = Database::open(&data.join("server.db"))?;
        let bodies = Bodies::open(&data.join("queue"))?;
        let queue = match backend {
            Backend::Sqlite => Queue::new(database.clone(), bodies.clone(), settings.queue.clone()),
            Backend::Postgres(postgres) => Queue::postgres(postgres.clone(), bodies.clone(), settings.queue.clone()),
        };
        let blobs = match backend {
            Backend::Sqlite => Blobs::open(database.clone(), &data.join("blobs"))?,
            Backend::Postgres(postgres) => Blobs::postgres(postgres.clone(), &data.join("blobs"))?,
        };

        let definitions = deployment.definitions();
        let mut jobs = job::load_dir(&deployment.jobs_dir(), &definitions.projects, &definitions.catalog)?;
        folders::resolve(&mut jobs, &deployment.dir, &settings.folder_roots)?;
        let mut jobs: BTreeMap<Uuid, Arc<Job>> =
            jobs.into_iter().map(|(activity, job)| (activity, Arc::new(job))).collect();
        let job_files = reload::opened(&deployment, &jobs)?;
        for mut job in stored_jobs(&queue)? {
            if let Some(file) = jobs.get(&job.activity) {
                tracing::warn!(activity = %job.activity, "job {} from the management API is hidden by the deployment's job {}", job.name, file.name);
                continue;
            }
            match job.check(&definitions.projects, &definitions.catalog) {
                Ok(()) => {
                    jobs.insert(job.activity, Arc::new(job));
                }
                Err(error) => tracing::warn!(activity = %job.activity, "job {} is not loaded: {error:#}", job.name),
            }
        }

        let known: HashSet<String> = queue.body_files_blocking()?.into_iter().collect();
        let removed = bodies.sweep(&known)? + blobs.files().sweep(&blobs.files_blocking()?.into_iter().collect())?;
        if removed > 0 {
            tracing::info!("removed {removed} body files that no message names (left by a crash)");
        }
        let disabled = disabled_jobs(&queue)?;
        let workers = settings.workers.max(1);
        let releases = Releases::open(
            database.clone(),
            deployment.pipeline.registry.clone(),
            &deployment.dir,
            deployment.settings.plugins_dir(&deployment.dir),
            deployment.settings.quarantine,
        )?;
        let inner = Inner {
            deployment,
            database,
            queue,
            blobs,
            jobs: RwLock::new(jobs),
            workers: Arc::new(Semaphore::new(workers)),
            in_flight: Mutex::new(HashSet::new()),
            running: Mutex::new(HashSet::new()),
            stopping: watch::Sender::new(false),
            inbound: Mutex::new(BTreeMap::new()),
            job_files: Mutex::new(job_files),
            definition_watcher: Mutex::new(None),
            runtime: tokio::runtime::Handle::try_current().context("the job service needs the async runtime")?,
            releases,
            settings,
            disabled: RwLock::new(disabled),
            run_now: Mutex::new(HashSet::new()),
            wake: Arc::new(Notify::new()),
        };
        let jobs = Jobs { inner: Arc::new(inner) };
        // Watched from before the server answers, so that a file renamed in once it does is
        // seen being renamed in.
        let watchers = folders::watch_all(&jobs)?;
        *jobs.inner.inbound.lock().unwrap_or_else(PoisonError::into_inner) = watchers;
        jobs.watch_definitions()?;
        Ok(jobs)
    }

    /// The deployment the jobs run in.
    pub fn deployment(&self) -> &Deployment {
        &self.inner.deployment
    }

    /// The queue.
    pub fn queue(&self) -> &Queue {
        &self.inner.queue
    }

    /// Where message bodies arrive (and, with SQLite, live).
    pub fn bodies(&self) -> &Bodies {
        self.inner.queue.bodies()
    }

    /// The package API's blobs.
    pub fn blobs(&self) -> &Blobs {
        &self.inner.blobs
    }

    /// Canaries, quarantine and their decisions.
    pub fn releases(&self) -> &Arc<Releases> {
        &self.inner.releases
    }

    /// The service's settings.
    pub fn settings(&self) -> &JobSettings {
        &self.inner.settings
    }

    /// The job with `activity`.
    pub fn job(&self, activity: Uuid) -> Option<Arc<Job>> {
        self.inner.jobs.read().unwrap_or_else(PoisonError::into_inner).get(&activity).cloned()
    }

    /// Every job, by activity id.
    pub fn jobs(&self) -> Vec<Arc<Job>> {
        self.inner.jobs.read().unwrap_or_else(PoisonError::into_inner).values().cloned().collect()
    }

    /// Creates or replaces a job defined through the management API. A job of the
    /// deployment's files cannot be replaced this way.
    pub async fn put_job(&self, mut job: Job) -> Result<Arc<Job>> {
        if self.job(job.activity).is_some_and(|existing| existing.source == JobSource::Deployment) {
            bail!("job {} is defined in the deployment's jobs directory; change it there", job.activity);
        }
        job.source = JobSource::Api;
        // Folders are the operator's to choose, in the deployment's files: no client names a path.
        if job.inbound.is_some() || job.outbound.is_some() {
            bail!("job {}: folders are set in the deployment's jobs directory, not through the API", job.activity);
        }
        let definitions = self.inner.deployment.definitions();
        job.check(&definitions.projects, &definitions.catalog)?;
        self.inner.queue.put_job_definition(job.activity, serde_json::to_string(&job)?).await?;
        let job = Arc::new(job);
        self.inner.jobs.write().unwrap_or_else(PoisonError::into_inner).insert(job.activity, job.clone());
        Ok(job)
    }

    /// Deletes a job defined through the management API; `false` when there is none.
    pub async fn delete_job(&self, activity: Uuid) -> Result<bool> {
        match self.job(activity) {
            None => return Ok(false),
            Some(job) if job.source == JobSource::Deployment => {
                bail!("job {activity} is defined in the deployment's jobs directory; remove it there")
            }
            Some(_) => {}
        }
        self.inner.queue.delete_job_definition(activity).await?;
        self.inner.jobs.write().unwrap_or_else(PoisonError::into_inner).remove(&activity);
        Ok(true)
    }

    /// Enables or disables job `activity` on behalf of `actor`, kept in the queue database so
    /// that every replica sees it (within a second). A disabled job's scheduled runs do not
    /// happen and its messages wait as `Enqueued`; enqueue still accepts them, so that
    /// clients that keep sending lose nothing, and enabling the job processes them. A run
    /// under way stops taking messages. `false` when there is no such job.
    pub async fn set_enabled(&self, activity: Uuid, enabled: bool, actor: &str) -> Result<bool> {
        if self.job(activity).is_none() {
            return Ok(false);
        }
        self.inner.queue.set_job_enabled(activity, enabled, actor).await?;
        let mut disabled = self.inner.disabled.write().unwrap_or_else(PoisonError::into_inner);
        match enabled {
            true => disabled.remove(&activity),
            false => disabled.insert(activity),
        };
        drop(disabled);
        if enabled {
            self.inner.wake.notify_one();
        }
        Ok(true)
    }

    /// Whether job `activity` is enabled (jobs are, until an operator disables them).
    pub fn is_enabled(&self, activity: Uuid) -> bool {
        !self.inner.disabled.read().unwrap_or_else(PoisonError::into_inner).contains(&activity)
    }

    /// Asks the scheduler to run job `activity` at once, whatever its recurrence: an import
    /// job takes its waiting messages, an export job exports (this replica, without waiting
    /// for its turn among replicas). Refused for a disabled job, and by a process that does
    /// not process (no workers). `None` when there is no such job.
    pub fn run_now(&self, activity: Uuid) -> Option<RunNow> {
        self.job(activity)?;
        let refused = if !self.is_enabled(activity) {
            Some("the job is disabled: enable it first".to_owned())
        } else if self.inner.settings.workers == 0 {
            Some("this server processes nothing (workers = 0); another replica runs the job on its schedule".to_owned())
        } else {
            None
        };
        if refused.is_none() {
            self.inner.run_now.lock().unwrap_or_else(PoisonError::into_inner).insert(activity);
            self.inner.wake.notify_one();
        }
        Some(RunNow { activity, queued: refused.is_none(), refused })
    }

    /// The newest `limit` messages of job `activity`: its runs, each with its outcome, times,
    /// execution and error.
    pub async fn last_runs(&self, activity: Uuid, limit: u32) -> Result<Vec<Message>> {
        let filter = MessageFilter { activity: Some(activity), ..MessageFilter::default() };
        Ok(self.inner.queue.search(&filter, None, limit).await?.messages)
    }

    /// Reads again which jobs are disabled, for the changes other replicas made.
    fn refresh_job_states(&self) -> Result<()> {
        let disabled = disabled_jobs(&self.inner.queue)?;
        *self.inner.disabled.write().unwrap_or_else(PoisonError::into_inner) = disabled;
        Ok(())
    }

    /// Whether an operator asked to run job `activity` now; the request is taken when `take`.
    fn wants_run_now(&self, activity: Uuid, take: bool) -> bool {
        let mut run_now = self.inner.run_now.lock().unwrap_or_else(PoisonError::into_inner);
        match take {
            true => run_now.remove(&activity),
            false => run_now.contains(&activity),
        }
    }

    /// Brings the jobs made through the management API up to date with the queue's
    /// PostgreSQL database, where another replica may have created, changed or deleted one.
    fn refresh_api_jobs(&self) -> Result<()> {
        let definitions = self.deployment().definitions();
        let mut stored = BTreeMap::new();
        for mut job in stored_jobs(&self.inner.queue)? {
            if job.check(&definitions.projects, &definitions.catalog).is_ok() {
                stored.insert(job.activity, job);
            }
        }
        let mut jobs = self.inner.jobs.write().unwrap_or_else(PoisonError::into_inner);
        jobs.retain(|activity, job| job.source == JobSource::Deployment || stored.contains_key(activity));
        for (activity, job) in stored {
            match jobs.get(&activity) {
                Some(current) if current.source == JobSource::Deployment || **current == job => {}
                _ => {
                    jobs.insert(activity, Arc::new(job));
                }
            }
        }
        Ok(())
    }

    /// Runs the scheduler until [`stop`](Self::stop); then waits for the work under way.
    pub async fn run_scheduler(self) {
        scheduler::run(self).await;
    }

    /// Stops taking new work. Executions under way finish; [`idle`](Self::idle) says when.
    pub fn stop(&self) {
        self.inner.stopping.send_replace(true);
        self.inner.definition_watcher.lock().unwrap_or_else(PoisonError::into_inner).take();
        self.inner.inbound.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }

    /// Waits until no execution runs, or `grace` has passed; `false` when work was still
    /// running then (it will be picked up again after a restart).
    pub async fn idle(&self, grace: Duration) -> bool {
        let workers = self.inner.settings.workers.max(1) as u32;
        let all = self.inner.workers.clone().acquire_many_owned(workers);
        tokio::time::timeout(grace, all).await.is_ok()
    }

    /// Closes the database after the work has stopped.
    pub fn close(&self) {
        self.inner.database.close();
    }

    fn stopping(&self) -> watch::Receiver<bool> {
        self.inner.stopping.subscribe()
    }
}

/// The jobs defined through the management API, as `queue` keeps them.
pub(crate) fn stored_jobs(queue: &Queue) -> Result<Vec<Job>> {
    queue
        .job_definitions_blocking()?
        .iter()
        .map(|definition| {
            let job: Job = serde_json::from_str(definition).context("the server database holds a malformed job")?;
            Ok(Job { source: JobSource::Api, ..job })
        })
        .collect()
}

/// The jobs disabled in `queue`'s database.
fn disabled_jobs(queue: &Queue) -> Result<HashSet<Uuid>> {
    let states = queue.job_states_blocking()?;
    Ok(states.into_iter().filter(|(_, enabled)| !enabled).map(|(activity, _)| activity).collect())
}

/// Syncs the file at `path` to disk.
fn sync_file(path: &Path) -> Result<()> {
    std::fs::File::open(path)
        .and_then(|file| file.sync_all())
        .with_context(|| format!("cannot sync {}", path.display()))
}
