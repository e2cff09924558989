//! The blobs' SQL for the server's SQLite database, for one process: records in
//! `queue_blobs`, contents in files named by blob id under `data/blobs/bodies/`.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::{Context as _, Result};
use rusqlite::{OptionalExtension as _, params};
use uuid::Uuid;

use super::{Blob, BlobKind};
use crate::jobs::database::Database;
use crate::jobs::queue::now_millis;

/// The blob records in the server's SQLite database.
#[derive(Debug, Clone)]
pub(super) struct SqliteBlobs {
    pub(super) database: Database,
    /// Uploads whose body is arriving now: one process receives every upload, so its memory
    /// is where the claims live.
    uploading: Arc<Mutex<HashSet<Uuid>>>,
}

/// The right to write an upload's content, held while its body arrives; dropping it gives
/// the right back.
#[derive(Debug)]
pub(super) struct UploadClaim {
    id: Uuid,
    uploading: Arc<Mutex<HashSet<Uuid>>>,
}

impl Drop for UploadClaim {
    fn drop(&mut self) {
        self.uploading.lock().unwrap_or_else(PoisonError::into_inner).remove(&self.id);
    }
}

impl SqliteBlobs {
    pub(super) fn new(database: Database) -> SqliteBlobs {
        SqliteBlobs { database, uploading: Arc::default() }
    }

    /// Claims upload `id` for one body; `None` while another body for it is arriving.
    pub(super) fn claim_upload(&self, id: Uuid) -> Option<UploadClaim> {
        let claimed = self.uploading.lock().unwrap_or_else(PoisonError::into_inner).insert(id);
        claimed.then(|| UploadClaim { id, uploading: self.uploading.clone() })
    }

    pub(super) async fn insert(&self, blob: Blob) -> Result<()> {
        self.database
            .write(move |connection| {
                connection.execute(
                    "INSERT INTO queue_blobs (id, token, kind, name, created, execution, company, owner)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    params![
                        blob.id.to_string(),
                        blob.token,
                        blob.kind.as_str(),
                        blob.name,
                        now_millis(),
                        blob.execution,
                        blob.company,
                        blob.owner
                    ],
                )?;
                Ok(())
            })
            .await
    }

    pub(super) async fn filled(&self, id: Uuid, size: u64) -> Result<()> {
        self.database.write(move |connection| set_size(connection, id, size)).await
    }

    pub(super) fn filled_blocking(&self, id: Uuid, size: u64) -> Result<()> {
        self.database.write_blocking(move |connection| set_size(connection, id, size))
    }

    pub(super) async fn get(&self, id: Uuid) -> Result<Option<Blob>> {
        self.database.read_async(move |connection| read_blob(connection, id)).await
    }

    pub(super) async fn of_execution(
        &self,
        execution: String,
        kind: BlobKind,
        name: Option<String>,
    ) -> Result<Option<Blob>> {
        self.database
            .read_async(move |connection| {
                let id: Option<String> = connection
                    .query_row(
                        "SELECT id FROM queue_blobs WHERE execution = ?1 AND kind = ?2 AND (?3 IS NULL OR name = ?3)
                         ORDER BY created DESC LIMIT 1",
                        params![execution, kind.as_str(), name],
                        |row| row.get(0),
                    )
                    .optional()?;
                match id {
                    Some(id) => read_blob(connection, Uuid::parse_str(&id)?),
                    None => Ok(None),
                }
            })
            .await
    }

    /// Removes blobs made before `before`; returns the names of their files.
    pub(super) fn expire_blocking(&self, before: i64) -> Result<Vec<String>> {
        self.database.write_blocking(move |connection| {
            let mut statement = connection.prepare_cached("DELETE FROM queue_blobs WHERE created < ?1 RETURNING id")?;
            let rows = statement.query_map([before], |row| row.get::<_, String>(0))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    pub(super) fn files_blocking(&self) -> Result<Vec<String>> {
        self.database.read(|connection| {
            let mut statement = connection.prepare("SELECT id FROM queue_blobs")?;
            let rows = statement.query_map([], |row| row.get::<_, String>(0))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }
}

fn set_size(connection: &rusqlite::Connection, id: Uuid, size: u64) -> Result<()> {
    connection.execute("UPDATE queue_blobs SET size = ?2 WHERE id = ?1", params![id.to_string(), size as i64])?;
    Ok(())
}

fn read_blob(connection: &rusqlite::Connection, id: Uuid) -> Result<Option<Blob>> {
    connection
        .query_row(
            "SELECT token, kind, name, size, execution, company, owner FROM queue_blobs WHERE id = ?1",
            [id.to_string()],
            |row| {
                Ok(Blob {
                    id,
                    token: row.get(0)?,
                    kind: BlobKind::parse(&row.get::<_, String>(1)?),
                    name: row.get(2)?,
                    size: row.get::<_, Option<i64>>(3)?.map(|size| size.max(0) as u64),
                    execution: row.get(4)?,
                    company: row.get(5)?,
                    owner: row.get(6)?,
                })
            },
        )
        .optional()
        .context("cannot read a blob record")
}
