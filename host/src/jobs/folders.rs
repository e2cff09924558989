//! File-system endpoints, the pattern of AX 2012's AIF file adapter: an import job may take
//! its documents from an inbound folder, and an export job may deliver its files to an
//! outbound folder, for systems that drop files rather than call REST.
//!
//! Inbound, a file is taken once it is complete: renamed into the folder (seen as a rename
//! event), or unchanged in size and modification time for the job's `stable_for`. Taking it
//! is three steps, and a crash between any two loses nothing and enqueues nothing twice:
//! 1. claim: a rename into `.processing/` beside it, so no later look takes it again;
//! 2. enqueue, through the same path as `POST /api/connector/enqueue`, with the file name as
//!    the external identifier. That enqueue is idempotent on (job, external identifier,
//!    body), so enqueuing a claimed file again after a crash answers with the first message;
//! 3. move to the archive folder, or, when refused, to the error folder with the reason in
//!    `<name>.error.txt` beside it.
//!
//! At start, every file left in `.processing/` goes through steps 2 and 3 again.
//!
//! Only regular files are taken. Hidden names (a leading `.`, where writers keep files
//! they have not finished), directories, symbolic links, FIFOs, sockets and devices are
//! left alone, and names that are not UTF-8 too (an external identifier is text). Names
//! come from listing the folder, never from a client, and every folder is inside a root the
//! server's configuration allows (`[jobs] folder_roots`); jobs made through the management
//! API cannot name folders at all.
//!
//! Besides the plugin watcher, this is the one user of `notify`; its events only hurry a
//! look, and a periodic rescan is what the folder is judged by, since events can be lost.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ffi::OsString;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context as _, Result, bail, ensure};
use notify::event::{AccessKind, AccessMode, ModifyKind, RenameMode};
use notify::{EventKind, RecursiveMode, Watcher as _};
use serde::{Deserialize, Serialize};
use tokio::io::AsyncReadExt as _;
use uuid::Uuid;

use super::bodies::{ReceiveError, sync_dir};
use super::intake::EnqueueError;
use super::scheduler::fault_point;
use super::{Job, Jobs, MessageStatus, NewMessage};
use crate::store::Operation;

/// Where claimed files wait between their claim and their move, inside the inbound folder.
const PROCESSING: &str = ".processing";

/// An import job's inbound folder (`[inbound]` in its file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Inbound {
    /// The folder files are dropped into: absolute, or relative to the deployment directory.
    #[schema(value_type = String)]
    pub folder: PathBuf,
    /// Where taken files go; `archive/` inside the folder by default.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub archive: Option<PathBuf>,
    /// Where refused files go, each with `<name>.error.txt`; `error/` inside the folder by
    /// default.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub error: Option<PathBuf>,
    /// How long a file written in place must keep its size and modification time before it
    /// is taken. A file renamed into the folder is taken at once.
    #[serde(with = "humantime_serde", default = "two_seconds")]
    #[schema(value_type = String, example = "2s")]
    pub stable_for: Duration,
    /// How often the folder is listed whatever the events say.
    #[serde(with = "humantime_serde", default = "five_seconds")]
    #[schema(value_type = String, example = "5s")]
    pub rescan: Duration,
    /// The largest file taken; a larger one is refused. Bodies are streamed, so this bounds
    /// disk, not memory.
    #[serde(default = "max_bytes")]
    pub max_bytes: u64,
}

/// An export job's outbound folder (`[outbound]` in its file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Outbound {
    /// The folder exported files are written to: absolute, or relative to the deployment
    /// directory.
    #[schema(value_type = String)]
    pub folder: PathBuf,
}

fn two_seconds() -> Duration {
    Duration::from_secs(2)
}

fn five_seconds() -> Duration {
    Duration::from_secs(5)
}

fn max_bytes() -> u64 {
    512 * 1024 * 1024
}

impl Inbound {
    /// The archive folder (resolved by [`resolve`]).
    fn archive_dir(&self) -> PathBuf {
        self.archive.clone().unwrap_or_else(|| self.folder.join("archive"))
    }

    /// The error folder (resolved by [`resolve`]).
    fn error_dir(&self) -> PathBuf {
        self.error.clone().unwrap_or_else(|| self.folder.join("error"))
    }

    fn processing_dir(&self) -> PathBuf {
        self.folder.join(PROCESSING)
    }
}

/// Checks the folders of every job against `roots` (the configuration's allowed roots) and
/// replaces them with their canonical paths, creating those that are missing. `base` is the
/// deployment directory, against which relative folders are read.
pub fn resolve(jobs: &mut BTreeMap<Uuid, Job>, base: &Path, roots: &[PathBuf]) -> Result<()> {
    let needs_roots = jobs.values().any(|job| job.inbound.is_some() || job.outbound.is_some());
    if !needs_roots {
        return Ok(());
    }
    ensure!(
        !roots.is_empty(),
        "jobs name folders, but the server's configuration allows none: list the roots they may be in as \
         `folder_roots` under [jobs]"
    );
    let roots: Vec<PathBuf> = roots
        .iter()
        .map(|root| root.canonicalize().with_context(|| format!("folder root {} does not exist", root.display())))
        .collect::<Result<_>>()?;
    let mut inbound_folders: HashMap<PathBuf, String> = HashMap::new();
    for job in jobs.values_mut() {
        let context = || format!("job {}", job.name);
        if let Some(inbound) = &mut job.inbound {
            inbound.folder = folder_within(&inbound.folder, base, &roots).with_context(context)?;
            let archive = folder_within(&inbound.archive_dir(), base, &roots).with_context(context)?;
            let error = folder_within(&inbound.error_dir(), base, &roots).with_context(context)?;
            ensure!(
                archive != inbound.folder && error != inbound.folder,
                "job {}: the archive and error folders must not be the inbound folder itself",
                job.name
            );
            let processing = inbound.processing_dir();
            std::fs::create_dir_all(&processing).with_context(|| format!("cannot create {}", processing.display()))?;
            (inbound.archive, inbound.error) = (Some(archive), Some(error));
            if let Some(other) = inbound_folders.insert(inbound.folder.clone(), job.name.clone()) {
                bail!("jobs {other} and {} watch the same inbound folder {}", job.name, inbound.folder.display());
            }
        }
        if let Some(outbound) = &mut job.outbound {
            outbound.folder = folder_within(&outbound.folder, base, &roots).with_context(context)?;
            sweep_outbound(&outbound.folder)?;
        }
    }
    Ok(())
}

/// `folder` (relative to `base` unless absolute), created if missing, as a canonical path
/// inside one of `roots` (canonical). A `..` is refused outright, and the check is made
/// again after canonicalizing, so that a symbolic link on the way cannot lead outside.
fn folder_within(folder: &Path, base: &Path, roots: &[PathBuf]) -> Result<PathBuf> {
    ensure!(
        !folder.components().any(|component| component == Component::ParentDir),
        "folder {} may not contain `..`",
        folder.display()
    );
    let absolute = std::path::absolute(base.join(folder))
        .with_context(|| format!("folder {} has no absolute path", folder.display()))?;
    let outside = || {
        anyhow::anyhow!(
            "folder {} is not inside any of the allowed folder roots ({})",
            folder.display(),
            roots.iter().map(|root| root.display().to_string()).collect::<Vec<_>>().join(", ")
        )
    };
    if !roots.iter().any(|root| absolute.starts_with(root)) {
        return Err(outside());
    }
    std::fs::create_dir_all(&absolute).with_context(|| format!("cannot create folder {}", absolute.display()))?;
    let canonical = absolute.canonicalize().with_context(|| format!("cannot resolve {}", absolute.display()))?;
    if !roots.iter().any(|root| canonical.starts_with(root)) {
        return Err(outside());
    }
    Ok(canonical)
}

/// Watches one job's inbound folder on a thread of its own until dropped.
pub(super) struct InboundWatcher {
    wake: Sender<Wake>,
    _watcher: Option<notify::RecommendedWatcher>,
}

impl std::fmt::Debug for InboundWatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InboundWatcher").finish_non_exhaustive()
    }
}

impl Drop for InboundWatcher {
    fn drop(&mut self) {
        let _ = self.wake.send(Wake::Stop);
    }
}

/// What wakes an inbound folder's thread.
#[derive(Debug)]
enum Wake {
    /// A file was renamed into the folder: it is complete.
    Renamed(OsString),
    /// A file was created or written: it is complete only once it holds still.
    Changed(OsString),
    /// Events were lost; the next listing finds what they said.
    Lost,
    Stop,
}

/// Starts watching the inbound folder of every job that has one; each folder's thread first
/// settles what a previous process claimed. Must be called within the async runtime that
/// enqueues run on.
pub(super) fn watch_all(jobs: &Jobs) -> Result<BTreeMap<Uuid, InboundWatcher>> {
    let runtime = tokio::runtime::Handle::try_current().context("inbound folders need the async runtime")?;
    let mut watchers = BTreeMap::new();
    for job in jobs.jobs() {
        if let Some(watcher) = watch_job(jobs, &job, &runtime)? {
            watchers.insert(job.activity, watcher);
        }
    }
    Ok(watchers)
}

/// Starts watching the inbound folder of `job`, when it has one, with its enqueues on
/// `runtime`.
pub(super) fn watch_job(
    jobs: &Jobs,
    job: &Arc<Job>,
    runtime: &tokio::runtime::Handle,
) -> Result<Option<InboundWatcher>> {
    let Some(inbound) = job.inbound.clone() else { return Ok(None) };
    let watcher = watch(jobs.clone(), job.clone(), inbound, runtime.clone())
        .with_context(|| format!("cannot watch the inbound folder of job {}", job.name))?;
    Ok(Some(watcher))
}

fn watch(jobs: Jobs, job: Arc<Job>, inbound: Inbound, runtime: tokio::runtime::Handle) -> Result<InboundWatcher> {
    let (wake, receiver) = std::sync::mpsc::channel();
    let events = wake.clone();
    let handler = move |result: notify::Result<notify::Event>| {
        let Ok(event) = result else {
            let _ = events.send(Wake::Lost);
            return;
        };
        if event.need_rescan() {
            let _ = events.send(Wake::Lost);
            return;
        }
        let renamed = match event.kind {
            EventKind::Modify(ModifyKind::Name(RenameMode::To)) => true,
            // With both ends known the last path is where the file went.
            EventKind::Modify(ModifyKind::Name(RenameMode::Both)) => {
                if let Some(name) = event.paths.last().and_then(|path| path.file_name()) {
                    let _ = events.send(Wake::Renamed(name.to_owned()));
                }
                return;
            }
            EventKind::Create(_)
            | EventKind::Modify(_)
            | EventKind::Access(AccessKind::Close(AccessMode::Write))
            | EventKind::Any => false,
            EventKind::Access(_) | EventKind::Remove(_) | EventKind::Other => return,
        };
        for name in event.paths.iter().filter_map(|path| path.file_name()) {
            let wake = if renamed { Wake::Renamed(name.to_owned()) } else { Wake::Changed(name.to_owned()) };
            let _ = events.send(wake);
        }
    };
    // Without events the rescan still finds every file, only later.
    let watcher = notify::recommended_watcher(handler)
        .and_then(|mut watcher| watcher.watch(&inbound.folder, RecursiveMode::NonRecursive).map(|()| watcher))
        .inspect_err(|error| {
            tracing::warn!(folder = %inbound.folder.display(), "no events from the inbound folder, only its rescans: {error}")
        })
        .ok();
    let folder = Folder { jobs, job, inbound, runtime };
    std::thread::Builder::new()
        .name("wharf-inbound".to_owned())
        .spawn(move || folder.run(&receiver))
        .context("cannot start an inbound folder's thread")?;
    Ok(InboundWatcher { wake, _watcher: watcher })
}

/// What the last listing saw of a file that is not taken yet.
#[derive(Debug)]
struct Seen {
    size: u64,
    modified: Option<SystemTime>,
    /// When this size and modification time were first seen.
    since: Instant,
}

/// One inbound folder and the job its files go to.
struct Folder {
    jobs: Jobs,
    job: Arc<Job>,
    inbound: Inbound,
    runtime: tokio::runtime::Handle,
}

impl Folder {
    fn run(self, wake: &Receiver<Wake>) {
        self.recover();
        let mut seen: HashMap<OsString, Seen> = HashMap::new();
        let mut renamed: HashSet<OsString> = HashSet::new();
        let mut ignored: HashSet<OsString> = HashSet::new();
        loop {
            self.look(&mut seen, &mut renamed, &mut ignored);
            // A file waiting to hold still is looked at again soon; otherwise the rescan.
            let wait = match seen.is_empty() {
                true => self.inbound.rescan,
                false => self.inbound.rescan.min((self.inbound.stable_for / 4).max(Duration::from_millis(20))),
            };
            let mut next = match wake.recv_timeout(wait) {
                Ok(wake) => Some(wake),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => return,
            };
            while let Some(event) = next {
                match event {
                    Wake::Stop => return,
                    Wake::Renamed(name) => {
                        renamed.insert(name);
                    }
                    Wake::Changed(name) => {
                        renamed.remove(&name);
                        seen.remove(&name);
                    }
                    Wake::Lost => {}
                }
                next = wake.try_recv().ok();
            }
        }
    }

    /// Settles what a previous process claimed and did not get to move.
    fn recover(&self) {
        let processing = self.inbound.processing_dir();
        let entries = match std::fs::read_dir(&processing) {
            Ok(entries) => entries,
            Err(error) => {
                tracing::error!(folder = %processing.display(), "cannot list claimed files: {error}");
                return;
            }
        };
        for entry in entries.flatten() {
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else { continue };
            tracing::warn!(job = %self.job.name, "file {name:?} was claimed before a restart; taking it again");
            self.settle(&name);
        }
    }

    /// Lists the folder and takes every file that is complete.
    fn look(
        &self,
        seen: &mut HashMap<OsString, Seen>,
        renamed: &mut HashSet<OsString>,
        ignored: &mut HashSet<OsString>,
    ) {
        let entries = match std::fs::read_dir(&self.inbound.folder) {
            Ok(entries) => entries,
            Err(error) => {
                tracing::error!(folder = %self.inbound.folder.display(), "cannot list the inbound folder: {error}");
                return;
            }
        };
        let now = Instant::now();
        let mut present = HashSet::new();
        for entry in entries.flatten() {
            let name = entry.file_name();
            if name.as_encoded_bytes().starts_with(b".") {
                continue;
            }
            // Not followed: a symbolic link is judged as itself, and left alone.
            let Ok(metadata) = entry.metadata() else { continue };
            if metadata.is_dir() {
                continue;
            }
            let Some(text) = name.to_str().filter(|_| metadata.file_type().is_file()) else {
                if ignored.insert(name.clone()) {
                    tracing::warn!(
                        job = %self.job.name,
                        "{:?} in the inbound folder is left alone: only regular files with UTF-8 names are taken",
                        name
                    );
                }
                continue;
            };
            present.insert(name.clone());
            let (size, modified) = (metadata.len(), metadata.modified().ok());
            let steady = match seen.get(&name) {
                Some(earlier) if earlier.size == size && earlier.modified == modified => {
                    now.duration_since(earlier.since) >= self.inbound.stable_for
                }
                _ => {
                    seen.insert(name.clone(), Seen { size, modified, since: now });
                    false
                }
            };
            if steady || renamed.contains(&name) {
                seen.remove(&name);
                renamed.remove(&name);
                self.take(text);
            }
        }
        seen.retain(|name, _| present.contains(name));
        renamed.retain(|name| present.contains(name));
        ignored.retain(|name| present.contains(name));
    }

    /// Claims file `name` and settles it.
    fn take(&self, name: &str) {
        let (from, claimed) = (self.inbound.folder.join(name), self.inbound.processing_dir().join(name));
        if claimed.symlink_metadata().is_ok() {
            tracing::warn!(job = %self.job.name, "{name:?} is already claimed; it waits for the claimed one to settle");
            return;
        }
        if let Err(error) = std::fs::rename(&from, &claimed) {
            // Gone (taken by another look, or by its writer): nothing to do.
            if error.kind() != std::io::ErrorKind::NotFound {
                tracing::error!(job = %self.job.name, "cannot claim {name:?}: {error}");
            }
            return;
        }
        fault_point("folder-after-claim");
        self.settle(name);
    }

    /// Enqueues claimed file `name` and moves it on: to the archive, to the error folder, or
    /// back into the folder when the queue cannot take it now.
    fn settle(&self, name: &str) {
        let claimed = self.inbound.processing_dir().join(name);
        match self.enqueue(&claimed, name) {
            Ok((id, repeated)) => {
                fault_point("folder-after-enqueue");
                let archived = move_into(&claimed, &self.inbound.archive_dir(), name, id);
                match (&archived, repeated) {
                    (Err(error), _) => {
                        tracing::error!(job = %self.job.name, message = %id, "cannot archive {name:?}: {error:#}")
                    }
                    (Ok(_), true) => {
                        tracing::info!(job = %self.job.name, message = %id, "{name:?} repeats an earlier file; archived")
                    }
                    (Ok(_), false) => {
                        tracing::info!(job = %self.job.name, message = %id, "{name:?} enqueued and archived")
                    }
                }
            }
            Err(EnqueueError::Refused(reason)) => {
                tracing::warn!(job = %self.job.name, "{name:?} is refused: {reason}");
                if let Err(error) = self.refuse(&claimed, name, &reason) {
                    tracing::error!(job = %self.job.name, "cannot move refused {name:?} to the error folder: {error:#}");
                }
            }
            Err(EnqueueError::Failed(error)) => {
                tracing::error!(job = %self.job.name, "cannot enqueue {name:?} now; it is tried again: {error:#}");
                if let Err(error) = std::fs::rename(&claimed, self.inbound.folder.join(name)) {
                    tracing::error!(job = %self.job.name, "cannot put {name:?} back; it is taken at the next start: {error}");
                }
            }
        }
    }

    /// Streams claimed file `path` into the job's queue as the connector's enqueue would.
    fn enqueue(&self, path: &Path, name: &str) -> Result<(Uuid, bool), EnqueueError> {
        let refused = |reason: String| EnqueueError::Refused(reason);
        let metadata =
            path.symlink_metadata().map_err(|error| refused(format!("The file cannot be read: {error}.")))?;
        if !metadata.file_type().is_file() {
            return Err(refused("The file is not a regular file.".to_owned()));
        }
        let limit = self.inbound.max_bytes;
        if metadata.len() > limit {
            return Err(refused(format!(
                "The file is {} bytes, over the job's limit of {limit} bytes.",
                metadata.len()
            )));
        }
        let file = std::fs::File::open(path).map_err(|error| refused(format!("The file cannot be read: {error}.")))?;
        // What was opened is what was checked, not something swapped in between.
        let opened = file.metadata().map_err(|error| refused(format!("The file cannot be read: {error}.")))?;
        if (opened.dev(), opened.ino()) != (metadata.dev(), metadata.ino()) {
            return Err(refused("The file changed while it was taken.".to_owned()));
        }
        let deployment = self.jobs.deployment();
        let definitions = deployment.definitions();
        let project = definitions.projects.require(&self.job.project)?;
        let entity = match &self.job.entity {
            Some(name) => Some(definitions.catalog.require(name)?.label.clone()),
            None => None,
        };
        let company = (self.job.company.clone())
            .or_else(|| project.company.clone())
            .or_else(|| deployment.settings.default_company.clone())
            .map(|company| company.to_ascii_lowercase());
        let message = NewMessage {
            activity: self.job.activity,
            direction: Operation::Import,
            entity,
            company,
            external_id: Some(name.to_owned()),
            user: Some("inbound folder".to_owned()),
            status: MessageStatus::Enqueued,
            records: None,
            execution: None,
            error: None,
        };
        self.runtime.block_on(async {
            let mut receiver = self.jobs.bodies().receive(limit);
            let mut file = tokio::fs::File::from_std(file);
            let mut buffer = vec![0u8; 64 * 1024];
            loop {
                let read = file
                    .read(&mut buffer)
                    .await
                    .map_err(|error| refused(format!("The file cannot be read: {error}.")))?;
                if read == 0 {
                    break;
                }
                receiver.push(&buffer[..read]).await.map_err(|error| match error {
                    ReceiveError::TooLarge { .. } => refused(format!("The file is {error}.")),
                    ReceiveError::Write(error) => EnqueueError::Failed(error),
                })?;
            }
            let body = receiver.finish().await?;
            self.jobs.enqueue(&self.job, message, body).await
        })
    }

    /// Writes the reason beside the error folder's copy of claimed file `name`, then moves it
    /// there. Written first, so a crash between the two leaves the file claimed, to be
    /// refused again with the same reason at the next start.
    fn refuse(&self, claimed: &Path, name: &str, reason: &str) -> Result<()> {
        let dir = self.inbound.error_dir();
        let target = free_name(&dir, name, Uuid::new_v4());
        let target_name = target.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
        let text = format!(
            "{target_name} was refused by job {} at {}:\n{reason}\n",
            self.job.name,
            chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
        write_atomically(&dir, &format!("{target_name}.error.txt"), text.as_bytes())?;
        std::fs::rename(claimed, &target).with_context(|| format!("cannot move {name:?} to the error folder"))?;
        sync_dir(&dir)?;
        sync_dir(&self.inbound.processing_dir())
    }
}

/// Moves `claimed` into `dir` under its `name`, or a free name made with `id` when that is
/// taken (yesterday's file of the same name), and syncs both directories.
fn move_into(claimed: &Path, dir: &Path, name: &str, id: Uuid) -> Result<PathBuf> {
    let target = free_name(dir, name, id);
    std::fs::rename(claimed, &target).with_context(|| format!("cannot move {name:?} to {}", dir.display()))?;
    sync_dir(dir)?;
    if let Some(from) = claimed.parent() {
        sync_dir(from)?;
    }
    Ok(target)
}

/// `dir/name`, or, when something is there already, `dir/<stem>.<first 8 of id>.<extension>`.
fn free_name(dir: &Path, name: &str, id: Uuid) -> PathBuf {
    let plain = dir.join(name);
    if plain.symlink_metadata().is_err() {
        return plain;
    }
    let tag = &id.simple().to_string()[..8];
    match name.rsplit_once('.') {
        Some((stem, extension)) if !stem.is_empty() => dir.join(format!("{stem}.{tag}.{extension}")),
        _ => dir.join(format!("{name}.{tag}")),
    }
}

/// The prefix of the temporary files an outbound folder's writes go through: hidden, so a
/// reader that skips hidden files (as the inbound folders here do) never sees one.
const TEMPORARY_PREFIX: &str = ".wharf-";

/// Writes `bytes` to `dir/name` so that no reader ever sees a part of them: a hidden
/// temporary file in the same folder, synced, then renamed, then the folder synced.
fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf> {
    let temporary = dir.join(format!("{TEMPORARY_PREFIX}{}.part", Uuid::new_v4()));
    let written = std::fs::write(&temporary, bytes)
        .and_then(|()| std::fs::File::open(&temporary)?.sync_all())
        .with_context(|| format!("cannot write {}", temporary.display()));
    finish_atomically(written, &temporary, dir, name)
}

/// Copies `source` into `dir` as `name` the same way as [`write_atomically`]: the file an
/// export job delivers to its outbound folder. Returns where it landed.
pub(super) fn deliver(outbound: &Outbound, source: &Path, name: &str) -> Result<PathBuf> {
    let dir = &outbound.folder;
    let temporary = dir.join(format!("{TEMPORARY_PREFIX}{}.part", Uuid::new_v4()));
    let written = std::fs::copy(source, &temporary)
        .and_then(|_| std::fs::File::open(&temporary)?.sync_all())
        .with_context(|| format!("cannot write {}", temporary.display()));
    finish_atomically(written, &temporary, dir, name)
}

fn finish_atomically(written: Result<()>, temporary: &Path, dir: &Path, name: &str) -> Result<PathBuf> {
    if let Err(error) = written {
        let _ = std::fs::remove_file(temporary);
        return Err(error);
    }
    let path = dir.join(name);
    if let Err(error) = std::fs::rename(temporary, &path) {
        let _ = std::fs::remove_file(temporary);
        return Err(error).with_context(|| format!("cannot write {}", path.display()));
    }
    sync_dir(dir)?;
    Ok(path)
}

/// Removes the temporary files a crash left in an outbound folder.
fn sweep_outbound(dir: &Path) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))?.flatten() {
        let name = entry.file_name();
        let ours = name.to_str().is_some_and(|name| name.starts_with(TEMPORARY_PREFIX) && name.ends_with(".part"));
        if ours && entry.file_type().is_ok_and(|kind| kind.is_file()) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    Ok(())
}

/// The name an export job's file `id` gets in its outbound folder: the job's name, the
/// message id and the format's extension. A character a file name cannot hold becomes `_`.
pub(super) fn export_name(job: &Job, id: Uuid, extension: &str) -> String {
    let job_name: String = job
        .name
        .chars()
        .map(|character| match character {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            character if character.is_control() => '_',
            character => character,
        })
        .collect();
    let job_name = job_name.trim_start_matches('.').trim();
    format!("{job_name} {id}.{extension}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_outside_the_roots_or_climbing_out_are_refused() {
        let dir = tempfile::tempdir().expect("test setup");
        let root = dir.path().join("files");
        std::fs::create_dir_all(&root).expect("test setup");
        let roots = [root.canonicalize().expect("test setup")];
        let inside = folder_within(Path::new("files/in box"), dir.path(), &roots).expect("inside the root");
        assert!(inside.is_dir() && inside.ends_with("in box"), "{}", inside.display());
        let climbing = folder_within(Path::new("files/../elsewhere"), dir.path(), &roots).expect_err("a ..");
        assert!(climbing.to_string().contains("may not contain `..`"), "{climbing}");
        let outside = folder_within(Path::new("elsewhere"), dir.path(), &roots).expect_err("outside");
        assert!(outside.to_string().contains("not inside any of the allowed folder roots"), "{outside}");
        assert!(!dir.path().join("elsewhere").exists(), "nothing is created outside the roots");
        // A symbolic link inside the root that points out of it leads nowhere.
        std::os::unix::fs::symlink(dir.path(), root.join("escape")).expect("test setup");
        let escaping = folder_within(Path::new("files/escape/out"), dir.path(), &roots).expect_err("a link out");
        assert!(escaping.to_string().contains("not inside"), "{escaping}");
    }

    #[test]
    fn a_taken_name_gets_a_tag_before_its_extension() {
        let dir = tempfile::tempdir().expect("test setup");
        let id = Uuid::parse_str("6d31e09f-0249-459f-94f0-aad9c2c47b64").expect("test setup");
        assert_eq!(free_name(dir.path(), "groups ü.csv", id), dir.path().join("groups ü.csv"));
        std::fs::write(dir.path().join("groups ü.csv"), b"x").expect("test setup");
        assert_eq!(free_name(dir.path(), "groups ü.csv", id), dir.path().join("groups ü.6d31e09f.csv"));
        std::fs::write(dir.path().join("README"), b"x").expect("test setup");
        assert_eq!(free_name(dir.path(), "README", id), dir.path().join("README.6d31e09f"));
    }

    #[test]
    fn an_atomic_write_leaves_only_the_finished_file() {
        let dir = tempfile::tempdir().expect("test setup");
        let path = write_atomically(dir.path(), "out é.csv", b"a,b\r\n").expect("written");
        assert_eq!(std::fs::read(&path).expect("read"), b"a,b\r\n");
        let names: Vec<_> =
            std::fs::read_dir(dir.path()).expect("list").flatten().map(|entry| entry.file_name()).collect();
        assert_eq!(names, ["out é.csv"]);
        std::fs::write(dir.path().join(".wharf-left.part"), b"half").expect("test setup");
        sweep_outbound(dir.path()).expect("swept");
        assert!(!dir.path().join(".wharf-left.part").exists());
    }
}
