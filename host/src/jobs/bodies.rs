//! Message bodies on their way into the queue: small ones stay in memory and go into the
//! database row (one group commit makes them durable), large ones are streamed to a file that
//! is fsynced and renamed into place before the row that names it is committed.
//!
//! A crash between the rename and the commit leaves a body file no row names; start-up sweeps
//! those away (see [`Bodies::sweep`]), so a message is never half-present.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use tokio::io::AsyncWriteExt as _;

/// Bodies up to this size live in the database row: writing them costs no file of their own,
/// and the group commit makes them durable with their row.
pub const INLINE_LIMIT: usize = 256 * 1024;

/// The directories bodies live in.
#[derive(Debug, Clone)]
pub struct Bodies {
    /// Finished bodies, named by their message id (or blob id).
    pub dir: PathBuf,
    /// Bodies still arriving, and files being written.
    pub incoming: PathBuf,
}

/// A body that has fully arrived.
#[derive(Debug)]
pub struct Body {
    /// Its blake3 hash, for idempotent enqueue.
    pub hash: [u8; 32],
    /// Its size in bytes.
    pub size: u64,
    /// Where it is.
    pub content: Content,
}

/// Where an arrived body is.
#[derive(Debug)]
pub enum Content {
    /// In memory, bound for the database row.
    Inline(Vec<u8>),
    /// In a synced temporary file, bound for [`Bodies::dir`].
    File(PathBuf),
}

impl Bodies {
    /// The bodies under `root`; creates the directories.
    pub fn open(root: &Path) -> Result<Bodies> {
        let bodies = Bodies { dir: root.join("bodies"), incoming: root.join("incoming") };
        for dir in [&bodies.dir, &bodies.incoming] {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
        Ok(bodies)
    }

    /// Starts receiving a body of at most `limit` bytes.
    pub fn receive(&self, limit: u64) -> Receiver {
        Receiver {
            incoming: self.incoming.clone(),
            limit,
            hasher: blake3::Hasher::new(),
            size: 0,
            memory: Vec::new(),
            file: None,
        }
    }

    /// The file of a finished body.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Moves a synced temporary file into place as `name` and syncs the directory, so the
    /// name survives a crash.
    pub fn keep(&self, temporary: &Path, name: &str) -> Result<PathBuf> {
        let path = self.path(name);
        std::fs::rename(temporary, &path).with_context(|| format!("cannot move a body to {}", path.display()))?;
        sync_dir(&self.dir)?;
        Ok(path)
    }

    /// Removes body files that no row names (`known` are the names rows hold) and every
    /// temporary file: what a crash between writing a body and committing its row left.
    pub fn sweep(&self, known: &HashSet<String>) -> Result<usize> {
        let mut removed = 0;
        for dir in [&self.incoming, &self.dir] {
            for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
                let entry = entry?;
                let name = entry.file_name().to_string_lossy().into_owned();
                if dir == &self.incoming || !known.contains(&name) {
                    let path = entry.path();
                    let outcome = match entry.file_type()?.is_dir() {
                        true => std::fs::remove_dir_all(&path),
                        false => std::fs::remove_file(&path),
                    };
                    outcome.with_context(|| format!("cannot remove {}", path.display()))?;
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }
}

/// Why a chunk of a body could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum ReceiveError {
    /// The body outgrew its limit: the request can never succeed as it is.
    #[error("the body is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// The body could not be written, for instance to a full disk: it may succeed later.
    #[error(transparent)]
    Write(#[from] anyhow::Error),
}

/// A body being received in chunks.
#[derive(Debug)]
pub struct Receiver {
    incoming: PathBuf,
    limit: u64,
    hasher: blake3::Hasher,
    size: u64,
    memory: Vec<u8>,
    file: Option<(tokio::fs::File, PathBuf)>,
}

impl Receiver {
    /// Takes the next chunk; an error when the body outgrows its limit or cannot be written.
    pub async fn push(&mut self, chunk: &[u8]) -> Result<(), ReceiveError> {
        self.size += chunk.len() as u64;
        if self.size > self.limit {
            return Err(ReceiveError::TooLarge { limit: self.limit });
        }
        self.hasher.update(chunk);
        if self.file.is_none() && self.memory.len() + chunk.len() <= INLINE_LIMIT {
            self.memory.extend_from_slice(chunk);
            return Ok(());
        }
        if self.file.is_none() {
            let path = self.incoming.join(format!("{}.part", uuid::Uuid::new_v4()));
            let mut file =
                tokio::fs::File::create(&path).await.with_context(|| format!("cannot create {}", path.display()))?;
            file.write_all(&std::mem::take(&mut self.memory)).await.context("cannot write a body")?;
            self.file = Some((file, path));
        }
        if let Some((file, _)) = &mut self.file {
            file.write_all(chunk).await.context("cannot write a body")?;
        }
        Ok(())
    }

    /// The whole body, synced to disk when it went to a file.
    pub async fn finish(mut self) -> Result<Body> {
        let hash = *self.hasher.finalize().as_bytes();
        let content = match self.file.take() {
            None => Content::Inline(std::mem::take(&mut self.memory)),
            Some((mut file, path)) => {
                let synced = async {
                    file.flush().await?;
                    file.sync_all().await
                };
                if let Err(error) = synced.await {
                    let _ = std::fs::remove_file(&path);
                    return Err(error).context("cannot write a body");
                }
                Content::File(path)
            }
        };
        Ok(Body { hash, size: self.size, content })
    }
}

/// A body that never finished (its request failed, or its client hung up and the request
/// was dropped) leaves no file behind.
impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some((_, path)) = self.file.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Syncs a directory, so the names in it survive a crash.
pub fn sync_dir(dir: &Path) -> Result<()> {
    std::fs::File::open(dir).and_then(|dir| dir.sync_all()).with_context(|| format!("cannot sync {}", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn small_bodies_stay_in_memory_and_large_ones_spill_to_a_synced_file() {
        let dir = tempfile::tempdir().expect("test setup");
        let bodies = Bodies::open(dir.path()).expect("test setup");
        let mut small = bodies.receive(1 << 30);
        small.push(b"hello").await.expect("test setup");
        let small = small.finish().await.expect("test setup");
        assert!(matches!(&small.content, Content::Inline(bytes) if bytes == b"hello"));
        assert_eq!(small.hash, *blake3::hash(b"hello").as_bytes());

        let chunk = vec![7u8; 100_000];
        let mut large = bodies.receive(1 << 30);
        for _ in 0..5 {
            large.push(&chunk).await.expect("test setup");
        }
        let large = large.finish().await.expect("test setup");
        assert_eq!(large.size, 500_000);
        let Content::File(path) = &large.content else { panic!("a 500 kB body should spill") };
        assert_eq!(std::fs::read(path).expect("test setup").len(), 500_000);
        let kept = bodies.keep(path, "m1").expect("test setup");
        assert_eq!(std::fs::metadata(kept).expect("test setup").len(), 500_000);
    }

    #[tokio::test]
    async fn a_body_over_the_limit_is_refused_and_sweeping_removes_unnamed_files() {
        let dir = tempfile::tempdir().expect("test setup");
        let bodies = Bodies::open(dir.path()).expect("test setup");
        let mut receiver = bodies.receive(500_000);
        receiver.push(&vec![1u8; 200_000]).await.expect("test setup");
        receiver.push(&vec![1u8; 200_000]).await.expect("test setup");
        let refused = receiver.push(&vec![1u8; 200_000]).await.expect_err("refused");
        assert!(refused.to_string().contains("limit of 500000 bytes"), "{refused}");
        drop(receiver);
        assert_eq!(
            std::fs::read_dir(&bodies.incoming).expect("test setup").count(),
            0,
            "a dropped body leaves no file"
        );
        // What a crash leaves is swept at the next start.
        std::fs::write(bodies.incoming.join("x.part"), b"x").expect("test setup");
        std::fs::write(bodies.path("orphan"), b"x").expect("test setup");
        std::fs::write(bodies.path("named"), b"x").expect("test setup");
        let known = HashSet::from(["named".to_owned()]);
        assert_eq!(bodies.sweep(&known).expect("test setup"), 2);
        assert!(bodies.path("named").exists());
        assert!(!bodies.path("orphan").exists());
    }
}
