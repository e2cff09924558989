//! The scheduler: runs each job on its processing recurrence (imports process their queued
//! messages, exports queue a new file), checks each job's messages on its monitoring
//! recurrence, and removes what outlived the retention.
//!
//! Imports of a job that processes in order take one message at a time, oldest first; other
//! jobs' messages run side by side, at most `workers` executions at once across all jobs.
//! A message's side effects are upserts by key, so processing one again after a crash leaves
//! no duplicate rows.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError};
use std::time::Instant;

use anyhow::{Context as _, Result};
use uuid::Uuid;

use super::queue::{CHANNEL, NewMessage, format_millis, millis, now_millis};
use super::{Job, Jobs, Message, MessageStatus, Mode, folders, sync_file};
use crate::pipeline::{Input, RunOptions, Silent, new_execution_id};
use crate::store::{Execution, ExecutionStatus, Lease, Operation};

/// How often the jobs made through the management API are read again, for the changes other
/// replicas made.
const REFRESH_JOBS: std::time::Duration = std::time::Duration::from_secs(1);

pub(super) async fn run(jobs: Jobs) {
    let mut stopping = jobs.stopping();
    let mut ticks = tokio::time::interval(jobs.settings().tick);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut processing: HashMap<Uuid, Instant> = HashMap::new();
    // Monitoring first: it finds the messages a previous process left mid-way.
    let mut monitoring: HashMap<Uuid, Instant> = HashMap::new();
    let mut cleanup = Instant::now();
    let mut refresh = Instant::now() + REFRESH_JOBS;
    // With PostgreSQL, an enqueue or a requeue on any replica wakes the others' schedulers at
    // once rather than at their next tick: a job whose processing is due takes the message
    // without waiting. It is only a hint: what is due is still decided by the schedule, and a
    // lost wake-up only waits for the tick.
    let enqueued = Arc::new(tokio::sync::Notify::new());
    let _listening = jobs.queue().postgres_database().map(|postgres| postgres.listen(CHANNEL, enqueued.clone()));
    let wake = jobs.inner.wake.clone();
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = enqueued.notified() => {}
            _ = wake.notified() => {}
            _ = stopping.wait_for(|stopping| *stopping) => break,
        }
        let now = Instant::now();
        // A replica without workers serves the API and processes nothing.
        let processes = jobs.settings().workers > 0;
        for job in jobs.jobs().into_iter().filter(|_| processes) {
            if monitoring.get(&job.activity).is_none_or(|due| *due <= now) {
                monitoring.insert(job.activity, now + job.monitoring);
                let (jobs, job) = (jobs.clone(), job.clone());
                spawn_blocking_logged("monitoring", move || jobs.monitor(&job));
            }
            // A disabled job's runs do not happen (monitoring still settles what a dead
            // process left); its messages wait.
            if !jobs.is_enabled(job.activity) {
                continue;
            }
            // A run now waits only for a run of the job under way to end.
            if jobs.wants_run_now(job.activity, false) {
                if jobs.inner.running.lock().unwrap_or_else(PoisonError::into_inner).insert(job.activity) {
                    jobs.wants_run_now(job.activity, true);
                    processing.insert(job.activity, now + job.processing);
                    tokio::spawn(jobs.clone().process(job, true));
                }
                continue;
            }
            if processing.get(&job.activity).is_none_or(|due| *due <= now) {
                processing.insert(job.activity, now + job.processing);
                if jobs.inner.running.lock().unwrap_or_else(PoisonError::into_inner).insert(job.activity) {
                    tokio::spawn(jobs.clone().process(job, false));
                }
            }
        }
        // Only replicas sharing a database see jobs made, enabled or disabled elsewhere.
        if refresh <= now && jobs.queue().postgres_database().is_some() {
            refresh = now + REFRESH_JOBS;
            let jobs = jobs.clone();
            spawn_blocking_logged("refreshing the jobs", move || {
                jobs.refresh_api_jobs()?;
                jobs.refresh_job_states()
            });
        }
        if cleanup <= now {
            cleanup = now + jobs.settings().queue.cleanup_interval;
            let jobs = jobs.clone();
            spawn_blocking_logged("cleanup", move || jobs.clean_up());
        }
    }
}

fn spawn_blocking_logged(what: &'static str, work: impl FnOnce() -> Result<()> + Send + 'static) {
    tokio::task::spawn_blocking(move || {
        if let Err(error) = work() {
            tracing::error!("{what} failed: {error:#}");
        }
    });
}

impl Jobs {
    /// One processing run of `job`: its queued messages (imports) or one export. A run an
    /// operator asked for (`on_request`) exports without waiting for this replica's turn.
    async fn process(self, job: Arc<Job>, on_request: bool) {
        let stopping = self.stopping();
        loop {
            // A job disabled meanwhile takes no more messages.
            if *stopping.borrow() || !self.is_enabled(job.activity) {
                break;
            }
            let Ok(permit) = self.inner.workers.clone().acquire_owned().await else { break };
            if job.direction == Operation::Export {
                let (jobs, task_job) = (self.clone(), job.clone());
                let exported = tokio::task::spawn_blocking(move || {
                    let _permit = permit;
                    // Replicas sharing the queue export once per due time between them.
                    if !on_request && !jobs.queue().take_turn_blocking(task_job.activity, task_job.processing)? {
                        return Ok(());
                    }
                    jobs.export(&task_job)
                });
                if let Ok(Err(error)) = exported.await {
                    tracing::error!(activity = %job.activity, "export of job {} failed: {error:#}", job.name);
                }
                break;
            }
            let claimed = {
                let (jobs, job) = (self.clone(), job.clone());
                tokio::task::spawn_blocking(move || jobs.claim(&job)).await
            };
            let message = match claimed {
                Ok(Ok(Some(message))) => message,
                Ok(Ok(None)) => break,
                Ok(Err(error)) => {
                    tracing::error!(activity = %job.activity, "cannot take a message of job {}: {error:#}", job.name);
                    break;
                }
                Err(_) => break,
            };
            let (jobs, task_job) = (self.clone(), job.clone());
            let task = tokio::task::spawn_blocking(move || {
                let _permit = permit;
                jobs.import(&task_job, message);
            });
            // Files of an in-order job wait for the one before them; packages never do, as in D365.
            if job.in_order && job.mode == Mode::File {
                let _ = task.await;
            }
        }
        self.inner.running.lock().unwrap_or_else(PoisonError::into_inner).remove(&job.activity);
    }

    fn claim(&self, job: &Job) -> Result<Option<Message>> {
        let in_order = job.in_order && job.mode == Mode::File;
        let message = self.queue().claim_blocking(job.activity, in_order)?;
        if let Some(message) = &message {
            self.inner.in_flight.lock().unwrap_or_else(PoisonError::into_inner).insert(message.message_id);
        }
        Ok(message)
    }

    /// Imports one claimed message and records how it went on it, under the lease its claim
    /// took, which is renewed while the import runs.
    fn import(&self, job: &Job, message: Message) {
        let id = message.message_id;
        let lease = self.keep_lease(&message);
        let outcome = self.execute_import(job, &message);
        drop(lease);
        let (status, records, error) = match outcome {
            Ok(execution) => {
                let records = execution.entities.iter().map(|entity| entity.target_records).sum();
                (message_status(&execution), Some(records), None)
            }
            Err(error) => {
                tracing::warn!(message = %id, "message of job {} failed: {error:#}", job.name);
                (MessageStatus::PreProcessingError, None, Some(format!("{error:#}")))
            }
        };
        match self.queue().finish_blocking(id, message.pop_receipt.clone(), status, records, error) {
            Ok(true) => {}
            // Its lease lapsed and another process took the message over: that one's outcome
            // counts. (The rows written here are upserts by key, so the other run rewrites
            // them unchanged.)
            Ok(false) => {
                tracing::warn!(message = %id, "lost the lease of a message while processing it; its outcome is left to the process that holds it")
            }
            // The message stays `Processing`; the next monitoring pass settles it.
            Err(error) => tracing::error!(message = %id, "cannot record the outcome of a message: {error:#}"),
        }
        self.inner.in_flight.lock().unwrap_or_else(PoisonError::into_inner).remove(&id);
    }

    /// Renews the lease of `message` on a thread of its own until the returned sender is
    /// dropped; nothing when the backend keeps no leases (SQLite).
    fn keep_lease(&self, message: &Message) -> Option<std::sync::mpsc::Sender<()>> {
        let interval = self.queue().heartbeat_interval()?;
        let receipt = message.pop_receipt.clone()?;
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let (queue, id) = (self.queue().clone(), message.message_id);
        let spawned = std::thread::Builder::new().name("wharf-lease".into()).spawn(move || {
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(interval) {
                match queue.heartbeat_blocking(id, &receipt) {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!(message = %id, "the lease of a message being processed was taken over");
                        return;
                    }
                    Err(error) => tracing::warn!(message = %id, "cannot renew the lease of a message: {error:#}"),
                }
            }
        });
        if let Err(error) = spawned {
            tracing::warn!(message = %id, "cannot start renewing the lease of a message: {error}");
        }
        Some(stop)
    }

    fn execute_import(&self, job: &Job, message: &Message) -> Result<Execution> {
        let deployment = self.deployment();
        // The definitions serving now, kept to the end of this execution whatever reloads.
        let definitions = deployment.definitions();
        let project = definitions.projects.require(&job.project)?;
        let body = self.queue().body_file_blocking(message.message_id, &deployment.pipeline.executions_dir)?;
        let path = body.path().to_owned();
        let input = match job.mode {
            Mode::Package => Input::Package { path },
            Mode::File => Input::File { path, entity: message.entity_name.clone().or_else(|| job.entity.clone()) },
        };
        let execution_id = new_execution_id(&project.name);
        let held = self.queue().set_execution_blocking(
            message.message_id,
            message.pop_receipt.clone(),
            execution_id.clone(),
        )?;
        anyhow::ensure!(held, "the message was taken over by another process before its execution started");
        let company = message.company.clone().or_else(|| job.company.clone());
        let options = RunOptions {
            // A message's rows go into its company only: the one its sender is granted.
            companies: company.clone().map(|company| [company.to_ascii_lowercase()].into()),
            company,
            execution_id: Some(execution_id),
            job: Some(job.activity.to_string()),
            message: Some(message.message_id.to_string()),
            correlation_id: message.external_correlation_id.clone(),
            staging_only: job.staging_only,
            lease: message.pop_receipt.clone().map(|receipt| Lease { message: message.message_id, receipt }),
        };
        // A running canary of a plugin the project uses may take this execution.
        let (pipeline, ticket) = self.releases().route(&deployment.pipeline_for(&definitions), project);
        let execution = pipeline.import(project, &input, &options, &Silent);
        self.releases().finished(ticket, execution.as_ref().ok());
        execution
    }

    /// Runs `job`'s export and queues its file for dequeue (or, when the export failed, a
    /// message saying so, which dequeue hands out without a file as D365 does).
    ///
    /// The watermarks the export reached live in the store and the message in the server
    /// database, and no transaction spans both. So the watermarks are staged under the
    /// message's id first, the message is committed, and only then do they move; a crash
    /// between the steps leaves staged watermarks that the next export settles by whether
    /// their message made it ([`settle_watermarks`](Self::settle_watermarks)). Either the
    /// message is queued and the watermarks move past its rows, or neither happens.
    fn export(&self, job: &Job) -> Result<()> {
        self.settle_watermarks()?;
        let id = Uuid::new_v4();
        self.inner.in_flight.lock().unwrap_or_else(PoisonError::into_inner).insert(id);
        let exported = self.export_as(job, id);
        self.inner.in_flight.lock().unwrap_or_else(PoisonError::into_inner).remove(&id);
        exported
    }

    /// [`export`](Self::export), as message `id`.
    fn export_as(&self, job: &Job, id: Uuid) -> Result<()> {
        let deployment = self.deployment();
        let definitions = deployment.definitions();
        let mut project = definitions.projects.require(&job.project)?.clone();
        project.skip_when_empty |= job.skip_when_empty;
        let extension = match job.mode {
            Mode::Package => "zip".to_owned(),
            Mode::File => {
                project.entities.first().map_or_else(|| "dat".to_owned(), |entity| extension_of(&entity.format))
            }
        };
        let out = self.bodies().incoming.join(format!("{id}.{extension}"));
        // An export reads one company, so its message goes only to clients granted that
        // company; every company only when nothing names one.
        let company = (job.company.clone())
            .or_else(|| project.company.clone())
            .or_else(|| deployment.settings.default_company.clone())
            .map(|company| company.to_ascii_lowercase());
        let options = RunOptions {
            company: company.clone(),
            job: Some(job.activity.to_string()),
            message: Some(id.to_string()),
            ..RunOptions::default()
        };
        let mut message = NewMessage {
            activity: job.activity,
            direction: Operation::Export,
            entity: None,
            company,
            external_id: None,
            user: None,
            status: MessageStatus::Processed,
            records: None,
            execution: None,
            error: None,
        };
        let store = &deployment.pipeline.store;
        match deployment.pipeline_for(&definitions).export_deferred(&project, &out, &options, &Silent) {
            Ok(outcome) => {
                message.execution = Some(outcome.execution.id.clone());
                message.records = Some(outcome.rows);
                let Some(output) = outcome.output else {
                    tracing::debug!(activity = %job.activity, "export of job {} found no rows; nothing queued", job.name);
                    return Ok(());
                };
                store.stage_watermarks(&id.to_string(), &outcome.watermarks)?;
                sync_file(&output)?;
                let file = std::fs::File::open(&output).context("cannot read an export")?;
                let hash = blake3::Hasher::new().update_reader(file).context("cannot hash an export")?.finalize();
                let size = std::fs::metadata(&output)?.len();
                let body = self.queue().keep_export(&output, id)?;
                // An outbound folder gets the file before the message is committed, and the
                // message is committed acknowledged: a crash in between leaves a file and no
                // message, and the rows go out again with the next export (at least once).
                if let Some(outbound) = &job.outbound {
                    let name = folders::export_name(job, id, &extension);
                    if let Err(error) = folders::deliver(outbound, &body, &name) {
                        let _ = store.discard_watermarks(&id.to_string());
                        return Err(error);
                    }
                    message.external_id = Some(name);
                }
                fault_point("export-before-queue");
                if job.outbound.is_some() {
                    message.status = MessageStatus::Acked;
                }
                let added = self.queue().add_blocking(id, message, *hash.as_bytes(), size, Some(&body));
                if let Err(error) = added {
                    // Not queued: the rows go out with the next export. Should dropping the
                    // watermarks fail too, the next export's settling drops them.
                    let _ = store.discard_watermarks(&id.to_string());
                    return Err(error);
                }
                fault_point("export-after-queue");
                store.commit_watermarks(&id.to_string())?;
                tracing::info!(activity = %job.activity, message = %id, rows = outcome.rows, "export of job {} queued", job.name);
            }
            Err(error) => {
                message.status = MessageStatus::PostProcessingFailed;
                message.error = Some(format!("{error:#}"));
                self.queue().add_blocking(id, message, [0; 32], 0, None)?;
                return Err(error);
            }
        }
        Ok(())
    }

    /// Moves or drops the watermarks that exports staged and did not get to settle (the
    /// process died, or the store failed): moved when their message is in the queue, since
    /// its rows were delivered; dropped when it is not, so that the next export reads those
    /// rows again. Exports under way in this process are left to settle their own.
    fn settle_watermarks(&self) -> Result<()> {
        let store = &self.deployment().pipeline.store;
        for message in store.staged_watermarks()? {
            let id = Uuid::parse_str(&message).ok();
            let in_flight = self.inner.in_flight.lock().unwrap_or_else(PoisonError::into_inner);
            if id.is_some_and(|id| in_flight.contains(&id)) {
                continue;
            }
            drop(in_flight);
            match id {
                Some(id) if self.queue().contains_blocking(id)? => {
                    tracing::warn!(message = %id, "an export was queued but its watermarks were not saved; saving them now");
                    store.commit_watermarks(&message)?;
                }
                _ => {
                    tracing::warn!(%message, "an export was never queued; its rows go out with the next one");
                    store.discard_watermarks(&message)?;
                }
            }
        }
        Ok(())
    }

    /// One monitoring pass over `job`: messages whose processing stalled (their process died,
    /// or froze past its lease) are settled from their execution's record, or put back in
    /// line. Both are compare-and-set on the lease the message was seen under, so a message
    /// whose processing ends meanwhile keeps its outcome.
    fn monitor(&self, job: &Job) -> Result<()> {
        let store = &self.deployment().pipeline.store;
        for message in self.queue().stalled_blocking(Some(job.activity))? {
            if self.inner.in_flight.lock().unwrap_or_else(PoisonError::into_inner).contains(&message.message_id) {
                continue;
            }
            let execution = match &message.execution_id {
                Some(id) => store.execution(id)?,
                None => None,
            };
            match execution.filter(|execution| execution.completed.is_some()) {
                Some(execution) => {
                    let records = execution.entities.iter().map(|entity| entity.target_records).sum();
                    self.queue().finish_blocking(
                        message.message_id,
                        message.pop_receipt.clone(),
                        message_status(&execution),
                        Some(records),
                        None,
                    )?;
                }
                None => {
                    if self.queue().requeue_blocking(message.message_id, message.pop_receipt.clone())? {
                        tracing::warn!(message = %message.message_id, "message of job {} was interrupted; processing it again", job.name);
                    }
                }
            }
        }
        Ok(())
    }

    /// Removes messages, blobs and executions older than the retention, with their files.
    fn clean_up(&self) -> Result<()> {
        let before = now_millis() - millis(self.settings().queue.retention);
        let messages = self.queue().expire_blocking(before)?;
        let blobs = self.blobs().expire_blocking(before)?;
        let pipeline = &self.deployment().pipeline;
        let executions = pipeline.store.remove_executions_before(&format_millis(before))?;
        // An id that names no directory of its own (a record from before ids were checked)
        // has no files to remove; its would-be path is never touched.
        for dir in executions.iter().filter_map(|id| pipeline.execution_dir(id).ok()) {
            if let Err(error) = std::fs::remove_dir_all(&dir)
                && error.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!(dir = %dir.display(), "cannot remove an expired execution's files: {error}");
            }
        }
        if messages > 0 || blobs > 0 || !executions.is_empty() {
            tracing::info!(
                "removed {} messages, {} blobs and {} executions from before {}",
                messages,
                blobs,
                executions.len(),
                format_millis(before)
            );
        }
        Ok(())
    }
}

/// A test seam for the crash tests (`tests/crashes.rs`, `tests/folders.rs`): in a process started with
/// `WHARF_FAULT=<point>`, the thread that reaches `point` says so on stderr and stops there for
/// good, so that the test can SIGKILL the process exactly between two steps. Nothing else reads
/// the variable, and no operator has a reason to set it.
pub(super) fn fault_point(point: &str) {
    if std::env::var_os("WHARF_FAULT").is_some_and(|fault| fault == point) {
        eprintln!("WHARF_FAULT: stopped at {point}; waiting to be killed");
        loop {
            std::thread::park();
        }
    }
}

/// The file extension of a project entity's format.
fn extension_of(format: &str) -> String {
    crate::pipeline::DocumentFormat::parse(format, &Default::default())
        .map_or_else(|_| "dat".to_owned(), |format| format.extension().to_owned())
}

/// The message status an execution's outcome stands for.
pub(crate) fn message_status(execution: &Execution) -> MessageStatus {
    match execution.status {
        ExecutionStatus::Succeeded => MessageStatus::Processed,
        // Nothing written at all: the document itself was unusable.
        ExecutionStatus::Failed if execution.entities.iter().all(|entity| entity.target_records == 0) => {
            MessageStatus::PreProcessingError
        }
        _ => MessageStatus::ProcessedWithErrors,
    }
}
