//! Blobs of the data-package API: the upload target `GetAzureWriteUrl` hands out, exported
//! packages and error-key files. D365 hands out Azure SAS URLs that clients use without a
//! bearer token; Wharf's equivalent is a link carrying a random token only the link's holder
//! knows (compared in constant time), valid until the retention removes the blob.
//!
//! Two backends keep them, each with its SQL in one place: the server's SQLite database, with
//! the contents in files under `data/blobs/`, for one process (`blobs/sqlite.rs`); or
//! PostgreSQL, records and contents both, shared by the replicas so that a link one of them
//! handed out works on whichever one a load balancer sends it to (`blobs/postgres.rs`).
//! Callers see one [`Blobs`].
mod postgres;
mod sqlite;

use std::path::Path;

use anyhow::{Context as _, Result};
use base64::Engine as _;
use serde::Serialize;
use uuid::Uuid;

use super::bodies::{Bodies, Content, ReceiveError, Receiver};
use super::database::Database;
use super::queue::{BodyFile, BodyStream};
use crate::backend::Postgres;

/// What a blob holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum BlobKind {
    /// A package a client uploads for `ImportFromPackage`.
    Upload,
    /// A package `ExportToPackage` wrote.
    Export,
    /// The keys of the records an import rejected.
    ErrorKeys,
}

impl BlobKind {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            BlobKind::Upload => "Upload",
            BlobKind::Export => "Export",
            BlobKind::ErrorKeys => "ErrorKeys",
        }
    }

    pub(super) fn parse(text: &str) -> BlobKind {
        match text {
            "Export" => BlobKind::Export,
            "ErrorKeys" => BlobKind::ErrorKeys,
            _ => BlobKind::Upload,
        }
    }
}

/// One blob's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    /// Its id.
    pub id: Uuid,
    /// The secret its links carry.
    pub token: String,
    /// What it holds.
    pub kind: BlobKind,
    /// The file name clients know it by.
    pub name: String,
    /// Its size, once written.
    pub size: Option<u64>,
    /// The execution it belongs to.
    pub execution: Option<String>,
    /// The company of that execution.
    pub company: Option<String>,
    /// The client it was made for.
    pub owner: Option<String>,
}

/// The blob store: records and contents, in the server's SQLite database and files or in
/// PostgreSQL. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Blobs {
    backend: Backend,
    /// Where contents arrive and are written, and (with SQLite) kept.
    files: Bodies,
}

#[derive(Debug, Clone)]
enum Backend {
    Sqlite(sqlite::SqliteBlobs),
    Postgres(postgres::PgBlobs),
}

/// An upload's body on its way in, with the claim on its link: of two bodies sent to one
/// link at once, only the one holding the claim is received. Dropped before
/// [`finish`](Upload::finish), nothing of the body is kept and the link takes a body again.
#[derive(Debug)]
pub struct Upload {
    to: UploadTo,
}

#[derive(Debug)]
enum UploadTo {
    Sqlite { blobs: sqlite::SqliteBlobs, files: Bodies, id: Uuid, receiver: Box<Receiver>, _claim: sqlite::UploadClaim },
    Postgres { upload: postgres::PgUpload, limit: u64, size: u64 },
}

impl Upload {
    /// Takes the next chunk; an error when the body outgrows its limit or cannot be written.
    pub async fn push(&mut self, chunk: &[u8]) -> Result<(), ReceiveError> {
        match &mut self.to {
            UploadTo::Sqlite { receiver, .. } => receiver.push(chunk).await,
            UploadTo::Postgres { upload, limit, size } => {
                *size += chunk.len() as u64;
                if *size > *limit {
                    return Err(ReceiveError::TooLarge { limit: *limit });
                }
                Ok(upload.push(chunk).await?)
            }
        }
    }

    /// Keeps the whole body as the upload's content; returns its size.
    pub async fn finish(self) -> Result<u64> {
        match self.to {
            UploadTo::Sqlite { blobs, files, id, receiver, _claim } => {
                let body = receiver.finish().await?;
                let size = body.size;
                tokio::task::spawn_blocking(move || -> Result<()> {
                    let temporary = match body.content {
                        Content::File(path) => path,
                        Content::Inline(bytes) => {
                            let mut file = tempfile::NamedTempFile::new_in(&files.incoming)?;
                            std::io::Write::write_all(&mut file, &bytes)?;
                            file.as_file().sync_all()?;
                            file.into_temp_path().keep()?
                        }
                    };
                    files.keep(&temporary, &id.to_string())?;
                    Ok(())
                })
                .await
                .context("keeping an upload panicked")??;
                blobs.filled(id, size).await?;
                Ok(size)
            }
            UploadTo::Postgres { upload, .. } => upload.finish().await,
        }
    }
}

impl Blobs {
    /// The blobs in the server's SQLite `database`, with contents under `root`.
    pub fn open(database: Database, root: &Path) -> Result<Blobs> {
        Ok(Blobs { backend: Backend::Sqlite(sqlite::SqliteBlobs::new(database)), files: Bodies::open(root)? })
    }

    /// The blobs in a PostgreSQL database that replicas share; `root` holds only the files on
    /// their way in or out (an export being written, a package being imported).
    pub fn postgres(postgres: Postgres, root: &Path) -> Result<Blobs> {
        Ok(Blobs { backend: Backend::Postgres(postgres::PgBlobs { postgres }), files: Bodies::open(root)? })
    }

    /// Where contents arrive and are written, and (with SQLite) kept.
    pub fn files(&self) -> &Bodies {
        &self.files
    }

    /// Makes a new, empty blob record.
    pub async fn create(
        &self,
        kind: BlobKind,
        name: String,
        execution: Option<String>,
        company: Option<String>,
        owner: Option<String>,
    ) -> Result<Blob> {
        let blob = Blob { id: Uuid::new_v4(), token: token()?, kind, name, size: None, execution, company, owner };
        match &self.backend {
            Backend::Sqlite(blobs) => blobs.insert(blob.clone()).await?,
            Backend::Postgres(blobs) => blobs.insert(&blob).await?,
        }
        Ok(blob)
    }

    /// Blob `id`, when `token` is its token.
    pub async fn get(&self, id: Uuid, token: &str) -> Result<Option<Blob>> {
        let blob = match &self.backend {
            Backend::Sqlite(blobs) => blobs.get(id).await?,
            Backend::Postgres(blobs) => blobs.get(id).await?,
        };
        // blake3's hash equality is constant-time, so the comparison leaks no prefix.
        Ok(blob.filter(|blob| blake3::hash(blob.token.as_bytes()) == blake3::hash(token.as_bytes())))
    }

    /// The blob of `kind` made for `execution` (and `name`, when given), newest first.
    pub async fn of_execution(&self, execution: String, kind: BlobKind, name: Option<String>) -> Result<Option<Blob>> {
        match &self.backend {
            Backend::Sqlite(blobs) => blobs.of_execution(execution, kind, name).await,
            Backend::Postgres(blobs) => blobs.of_execution(&execution, kind, name.as_deref()).await,
        }
    }

    /// Starts receiving the body of upload `id`, of at most `limit` bytes; `None` when the
    /// upload has its body already, or another body for it is arriving. An upload link takes
    /// one body: two sent at once must not both be stored, the second replacing the first
    /// under a package that was already checked. With PostgreSQL the claim holds across
    /// replicas.
    pub async fn upload(&self, id: Uuid, limit: u64) -> Result<Option<Upload>> {
        let to = match &self.backend {
            Backend::Sqlite(blobs) => {
                // Claimed before the size is looked at, so of two bodies sent at once one wins.
                let Some(claim) = blobs.claim_upload(id) else { return Ok(None) };
                if blobs.get(id).await?.is_none_or(|blob| blob.size.is_some()) {
                    return Ok(None);
                }
                let receiver = Box::new(self.files.receive(limit));
                UploadTo::Sqlite { blobs: blobs.clone(), files: self.files.clone(), id, receiver, _claim: claim }
            }
            Backend::Postgres(blobs) => match blobs.upload(id).await? {
                Some(upload) => UploadTo::Postgres { upload, limit, size: 0 },
                None => return Ok(None),
            },
        };
        Ok(Some(Upload { to }))
    }

    /// The content of `blob`, streamed; `None` when it is gone.
    pub async fn content(&self, blob: &Blob) -> Result<Option<BodyStream>> {
        match &self.backend {
            Backend::Sqlite(_) => {
                let Ok(file) = tokio::fs::File::open(self.files.path(&blob.id.to_string())).await else {
                    return Ok(None);
                };
                let stream = tokio_util::io::ReaderStream::new(file);
                Ok(Some(Box::pin(futures_util::TryStreamExt::map_err(stream, anyhow::Error::from))))
            }
            Backend::Postgres(blobs) => Ok(Some(Box::pin(blobs.content(blob.id)))),
        }
    }

    /// The content of blob `id` as a file, for the pipeline, which reads files: the kept file
    /// (SQLite), or a temporary copy in [`Bodies::incoming`] removed when the answer is
    /// dropped (blocking: call it off the async runtime).
    pub fn file_blocking(&self, id: Uuid) -> Result<BodyFile> {
        match &self.backend {
            Backend::Sqlite(_) => Ok(BodyFile::Kept(self.files.path(&id.to_string()))),
            Backend::Postgres(blobs) => {
                let path = tempfile::NamedTempFile::new_in(&self.files.incoming)
                    .context("cannot make a file for a blob")?
                    .into_temp_path();
                blobs.postgres.block_on(blobs.spool(id, &path))?;
                Ok(BodyFile::Temporary(path))
            }
        }
    }

    /// Makes the finished, synced file at `file` (in [`Bodies::incoming`]) the content of blob
    /// `id` and records its size, which it returns. The file is moved into place (SQLite) or
    /// copied into the database and removed (PostgreSQL). Blocking: call it off the async
    /// runtime.
    pub fn store_file_blocking(&self, id: Uuid, file: &Path) -> Result<u64> {
        match &self.backend {
            Backend::Sqlite(blobs) => {
                let size = std::fs::metadata(file).with_context(|| format!("cannot read {}", file.display()))?.len();
                self.files.keep(file, &id.to_string())?;
                blobs.filled_blocking(id, size)?;
                Ok(size)
            }
            Backend::Postgres(blobs) => {
                let stored = blobs.postgres.block_on(blobs.store_file(id, file));
                let _ = std::fs::remove_file(file);
                stored
            }
        }
    }

    /// [`store_file_blocking`](Self::store_file_blocking) from the async runtime.
    pub async fn store_file(&self, id: Uuid, file: &Path) -> Result<u64> {
        match &self.backend {
            Backend::Sqlite(_) => {
                let (blobs, file) = (self.clone(), file.to_owned());
                tokio::task::spawn_blocking(move || blobs.store_file_blocking(id, &file))
                    .await
                    .context("keeping a blob panicked")?
            }
            Backend::Postgres(blobs) => {
                let stored = blobs.store_file(id, file).await;
                let _ = tokio::fs::remove_file(file).await;
                stored
            }
        }
    }

    /// Removes blobs made before `before` with their contents. Returns how many.
    pub fn expire_blocking(&self, before: i64) -> Result<usize> {
        match &self.backend {
            Backend::Sqlite(blobs) => {
                let names = blobs.expire_blocking(before)?;
                for name in &names {
                    let path = self.files.path(name);
                    if let Err(error) = std::fs::remove_file(&path)
                        && error.kind() != std::io::ErrorKind::NotFound
                    {
                        tracing::warn!(file = %path.display(), "cannot remove an expired blob: {error}");
                    }
                }
                Ok(names.len())
            }
            Backend::Postgres(blobs) => blobs.postgres.block_on(blobs.expire(before)),
        }
    }

    /// The names of every blob file a record names (none with PostgreSQL, which keeps no
    /// blob files).
    pub fn files_blocking(&self) -> Result<Vec<String>> {
        match &self.backend {
            Backend::Sqlite(blobs) => blobs.files_blocking(),
            Backend::Postgres(_) => Ok(Vec::new()),
        }
    }
}

/// A link secret: 32 random bytes, URL-safe base64.
fn token() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|error| anyhow::anyhow!("no randomness for a link secret: {error}"))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests;
