//! The blobs' SQL for PostgreSQL, where every replica reads and writes them: a link minted by
//! one replica works on any other.
//!
//! - Records live in `queue_blobs`, contents in `blob_chunks`, a row per [`CHUNK`] bytes,
//!   streamed in as an upload arrives and out as a download is sent, never held whole.
//! - An upload link takes one body, whichever replicas its bodies reach: the upload's
//!   transaction takes the record's row lock (`FOR UPDATE SKIP LOCKED`, only while the record
//!   has no size) and holds it until it commits the chunks and the size together. Another
//!   body for the link, on any replica, finds the row locked or the size set and is refused.
//!   An upload that stops half-way (its client hung up, its replica died) rolls its chunks
//!   back, and the lock goes with its transaction or its connection, so the link can be used
//!   again.
//! - An upload holds one of the replica's pooled connections for as long as its body takes
//!   to arrive: `[database] pool_size` bounds the uploads under way together with everything
//!   else the replica asks of the database.
//! - Removing a record removes its chunks (`ON DELETE CASCADE`).

use std::path::Path;

use anyhow::{Context as _, Result, anyhow};
use futures_util::{Stream, StreamExt as _};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::sync::{mpsc, oneshot};
use tokio_postgres::Row;
use uuid::Uuid;

use super::{Blob, BlobKind};
use crate::backend::Postgres;

/// The size of a blob's chunks, as the queue's bodies': a 512 MiB package is 512 rows, and
/// a chunk is never a burden in memory.
const CHUNK: usize = 1024 * 1024;

const COLUMNS: &str = "id, token, kind, name, size, execution, company, owner";

const INSERT_CHUNK: &str = "INSERT INTO blob_chunks (blob, chunk, data) VALUES ($1, $2, $3)";

/// The blob records and contents in a PostgreSQL database.
#[derive(Debug, Clone)]
pub(super) struct PgBlobs {
    pub(super) postgres: Postgres,
}

impl PgBlobs {
    pub(super) async fn insert(&self, blob: &Blob) -> Result<()> {
        let client = self.postgres.client().await?;
        client
            .execute(
                "INSERT INTO queue_blobs (id, token, kind, name, created, execution, company, owner)
                 VALUES ($1, $2, $3, $4, wharf_now_ms(), $5, $6, $7)",
                &[&blob.id, &blob.token, &blob.kind.as_str(), &blob.name, &blob.execution, &blob.company, &blob.owner],
            )
            .await?;
        Ok(())
    }

    pub(super) async fn get(&self, id: Uuid) -> Result<Option<Blob>> {
        let client = self.postgres.client().await?;
        let row = client.query_opt(&format!("SELECT {COLUMNS} FROM queue_blobs WHERE id = $1"), &[&id]).await?;
        row.as_ref().map(blob_from_row).transpose()
    }

    pub(super) async fn of_execution(
        &self,
        execution: &str,
        kind: BlobKind,
        name: Option<&str>,
    ) -> Result<Option<Blob>> {
        let client = self.postgres.client().await?;
        let row = client
            .query_opt(
                &format!(
                    "SELECT {COLUMNS} FROM queue_blobs
                     WHERE execution = $1 AND kind = $2 AND ($3::text IS NULL OR name = $3)
                     ORDER BY created DESC LIMIT 1"
                ),
                &[&execution, &kind.as_str(), &name],
            )
            .await?;
        row.as_ref().map(blob_from_row).transpose()
    }

    /// Removes blobs made before `before` with their chunks, except an upload arriving now
    /// (its row is locked), which the next pass finds. Returns how many.
    pub(super) async fn expire(&self, before: i64) -> Result<usize> {
        let client = self.postgres.client().await?;
        let removed = client
            .execute(
                "DELETE FROM queue_blobs WHERE id IN
                     (SELECT id FROM queue_blobs WHERE created < $1 FOR UPDATE SKIP LOCKED)",
                &[&before],
            )
            .await?;
        Ok(removed as usize)
    }

    /// Claims upload `id` for one body and starts the transaction it arrives in; `None`
    /// when the upload has its body, or another one is arriving on some replica.
    pub(super) async fn upload(&self, id: Uuid) -> Result<Option<PgUpload>> {
        let (claim, claimed) = oneshot::channel();
        // One piece in flight while the next chunk fills: an upload holds at most about three
        // chunks in memory, whatever its size.
        let (pieces, arriving) = mpsc::channel(1);
        let writer = tokio::spawn(write_upload(self.postgres.clone(), id, claim, arriving));
        match claimed.await {
            Ok(true) => Ok(Some(PgUpload { pieces, writer: Some(writer), buffer: Vec::with_capacity(CHUNK), size: 0 })),
            Ok(false) => Ok(None),
            Err(_) => Err(failure(writer).await),
        }
    }

    /// Makes the finished file at `path` the content of blob `id`, with its size, in one
    /// transaction. Returns the size.
    pub(super) async fn store_file(&self, id: Uuid, path: &Path) -> Result<u64> {
        let mut client = self.postgres.client().await?;
        let transaction = client.transaction().await?;
        let statement = transaction.prepare(INSERT_CHUNK).await?;
        let mut file = tokio::fs::File::open(path).await.with_context(|| format!("cannot read {}", path.display()))?;
        let mut buffer = Vec::with_capacity(CHUNK);
        let mut size = 0_u64;
        for index in 0_i32.. {
            buffer.clear();
            (&mut file).take(CHUNK as u64).read_to_end(&mut buffer).await?;
            if buffer.is_empty() {
                break;
            }
            transaction.execute(&statement, &[&id, &index, &buffer.as_slice()]).await?;
            size += buffer.len() as u64;
        }
        transaction.execute("UPDATE queue_blobs SET size = $2 WHERE id = $1", &[&id, &(size as i64)]).await?;
        transaction.commit().await?;
        Ok(size)
    }

    /// The content of blob `id`, chunk by chunk.
    pub(super) fn content(&self, id: Uuid) -> impl Stream<Item = Result<bytes::Bytes>> + Send + 'static {
        let postgres = self.postgres.clone();
        futures_util::stream::try_unfold((postgres, 0_i32), move |(postgres, chunk)| async move {
            let client = postgres.client().await?;
            let row =
                client.query_opt("SELECT data FROM blob_chunks WHERE blob = $1 AND chunk = $2", &[&id, &chunk]).await?;
            drop(client);
            Ok(row.map(|row| (bytes::Bytes::from(row.get::<_, Vec<u8>>(0)), (postgres, chunk + 1))))
        })
    }

    /// Writes the content of blob `id` to `path`, chunk by chunk.
    pub(super) async fn spool(&self, id: Uuid, path: &Path) -> Result<()> {
        let mut file = tokio::fs::File::create(path).await.context("cannot make a file for a blob")?;
        let mut chunks = std::pin::pin!(self.content(id));
        while let Some(chunk) = chunks.next().await {
            file.write_all(&chunk?).await?;
        }
        file.flush().await?;
        Ok(())
    }
}

/// What an upload hands its writer.
enum Piece {
    /// The next chunk of the body.
    Chunk(Vec<u8>),
    /// The body is complete, with this many bytes: commit.
    End(u64),
}

/// An upload under way: its body goes chunk by chunk to a task that holds the upload's
/// transaction. Dropped before [`finish`](PgUpload::finish), the transaction rolls back.
#[derive(Debug)]
pub(super) struct PgUpload {
    pieces: mpsc::Sender<Piece>,
    /// The task writing the pieces; taken once it has stopped.
    writer: Option<tokio::task::JoinHandle<Result<()>>>,
    buffer: Vec<u8>,
    size: u64,
}

impl PgUpload {
    /// Takes the next bytes of the body, sending each full chunk to the database.
    pub(super) async fn push(&mut self, mut bytes: &[u8]) -> Result<()> {
        self.size += bytes.len() as u64;
        while !bytes.is_empty() {
            let take = (CHUNK - self.buffer.len()).min(bytes.len());
            self.buffer.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if self.buffer.len() == CHUNK {
                let chunk = std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK));
                self.send(Piece::Chunk(chunk)).await?;
            }
        }
        Ok(())
    }

    /// Commits the body; returns its size.
    pub(super) async fn finish(mut self) -> Result<u64> {
        if !self.buffer.is_empty() {
            let chunk = std::mem::take(&mut self.buffer);
            self.send(Piece::Chunk(chunk)).await?;
        }
        let size = self.size;
        self.send(Piece::End(size)).await?;
        let writer = self.writer.take().context("an upload's writer is gone")?;
        writer.await.context("writing an upload panicked")??;
        Ok(size)
    }

    async fn send(&mut self, piece: Piece) -> Result<()> {
        if self.pieces.send(piece).await.is_ok() {
            return Ok(());
        }
        // The writer stopped early: it failed, and says why.
        match self.writer.take() {
            Some(writer) => Err(failure(writer).await),
            None => Err(anyhow!("an upload's writer is gone")),
        }
    }
}

/// Why a writer that stopped early failed.
async fn failure(writer: tokio::task::JoinHandle<Result<()>>) -> anyhow::Error {
    match writer.await {
        Ok(Err(error)) => error.context("cannot store an upload"),
        Ok(Ok(())) => anyhow!("an upload's writer stopped before the upload ended"),
        Err(error) => anyhow!("writing an upload panicked: {error}"),
    }
}

/// Claims upload `id` (says on `claim` whether it could), then writes the pieces that arrive
/// in the claim's transaction, committing at [`Piece::End`].
async fn write_upload(
    postgres: Postgres,
    id: Uuid,
    claim: oneshot::Sender<bool>,
    mut pieces: mpsc::Receiver<Piece>,
) -> Result<()> {
    let mut client = postgres.client().await?;
    let transaction = client.transaction().await?;
    let claimed = transaction
        .query_opt("SELECT 1 FROM queue_blobs WHERE id = $1 AND size IS NULL FOR UPDATE SKIP LOCKED", &[&id])
        .await?
        .is_some();
    if claim.send(claimed).is_err() || !claimed {
        return Ok(());
    }
    let statement = transaction.prepare(INSERT_CHUNK).await?;
    let mut index = 0_i32;
    while let Some(piece) = pieces.recv().await {
        match piece {
            Piece::Chunk(bytes) => {
                transaction.execute(&statement, &[&id, &index, &bytes]).await?;
                index += 1;
            }
            Piece::End(size) => {
                transaction.execute("UPDATE queue_blobs SET size = $2 WHERE id = $1", &[&id, &(size as i64)]).await?;
                transaction.commit().await?;
                return Ok(());
            }
        }
    }
    // The upload was abandoned (its request failed, or its client hung up): the transaction,
    // dropped here, rolls its chunks back and gives the claim up.
    Ok(())
}

fn blob_from_row(row: &Row) -> Result<Blob> {
    Ok(Blob {
        id: row.try_get(0)?,
        token: row.try_get(1)?,
        kind: BlobKind::parse(row.try_get(2)?),
        name: row.try_get(3)?,
        size: row.try_get::<_, Option<i64>>(4)?.map(|size| size.max(0) as u64),
        execution: row.try_get(5)?,
        company: row.try_get(6)?,
        owner: row.try_get(7)?,
    })
}
