//! Blobs of the data-package API: the upload target `GetAzureWriteUrl` hands out, exported
//! packages and error-key files. D365 hands out Azure SAS URLs that clients use without a
//! bearer token; Wharf's equivalent is a link carrying a random token only the link's holder
//! knows (compared in constant time), valid until the retention removes the blob.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::{Context as _, Result};
use base64::Engine as _;
use rusqlite::{OptionalExtension as _, params};
use serde::Serialize;
use uuid::Uuid;

use super::bodies::Bodies;
use super::database::Database;
use super::queue::now_millis;

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
    fn as_str(self) -> &'static str {
        match self {
            BlobKind::Upload => "Upload",
            BlobKind::Export => "Export",
            BlobKind::ErrorKeys => "ErrorKeys",
        }
    }

    fn parse(text: &str) -> BlobKind {
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

/// The blob store: records in the server database, contents in files.
#[derive(Debug, Clone)]
pub struct Blobs {
    database: Database,
    files: Bodies,
    /// Uploads whose body is arriving now.
    uploading: Arc<Mutex<HashSet<Uuid>>>,
}

/// The right to write an upload's content, held while its body arrives; dropping it gives
/// the right back.
#[derive(Debug)]
pub struct UploadClaim {
    id: Uuid,
    uploading: Arc<Mutex<HashSet<Uuid>>>,
}

impl Drop for UploadClaim {
    fn drop(&mut self) {
        self.uploading.lock().unwrap_or_else(PoisonError::into_inner).remove(&self.id);
    }
}

impl Blobs {
    /// The blobs in `database`, with contents under `root`.
    pub fn open(database: Database, root: &std::path::Path) -> Result<Blobs> {
        Ok(Blobs { database, files: Bodies::open(root)?, uploading: Arc::default() })
    }

    /// Claims upload `id` for one body; `None` while another body for it is arriving. An
    /// upload link takes one body: two sent at once must not both be stored, the second
    /// replacing the first under a package that was already checked.
    pub fn claim_upload(&self, id: Uuid) -> Option<UploadClaim> {
        let claimed = self.uploading.lock().unwrap_or_else(PoisonError::into_inner).insert(id);
        claimed.then(|| UploadClaim { id, uploading: self.uploading.clone() })
    }

    /// The file store of blob contents.
    pub fn files(&self) -> &Bodies {
        &self.files
    }

    /// The file of blob `id`.
    pub fn path(&self, id: Uuid) -> PathBuf {
        self.files.path(&id.to_string())
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
        let record = blob.clone();
        self.database
            .write(move |connection| {
                connection.execute(
                    "INSERT INTO queue_blobs (id, token, kind, name, created, execution, company, owner)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    params![
                        record.id.to_string(),
                        record.token,
                        record.kind.as_str(),
                        record.name,
                        now_millis(),
                        record.execution,
                        record.company,
                        record.owner
                    ],
                )?;
                Ok(())
            })
            .await?;
        Ok(blob)
    }

    /// Records that blob `id`'s file is complete.
    pub async fn filled(&self, id: Uuid, size: u64) -> Result<()> {
        self.database.write(move |connection| set_size(connection, id, size)).await
    }

    /// [`filled`](Self::filled) for code outside the async runtime.
    pub fn filled_blocking(&self, id: Uuid, size: u64) -> Result<()> {
        self.database.write_blocking(move |connection| set_size(connection, id, size))
    }

    /// Blob `id`, when `token` is its token.
    pub async fn get(&self, id: Uuid, token: &str) -> Result<Option<Blob>> {
        let blob = self.database.read_async(move |connection| read_blob(connection, id)).await?;
        // blake3's hash equality is constant-time, so the comparison leaks no prefix.
        Ok(blob.filter(|blob| blake3::hash(blob.token.as_bytes()) == blake3::hash(token.as_bytes())))
    }

    /// The blob of `kind` made for `execution` (and `name`, when given), newest first.
    pub async fn of_execution(&self, execution: String, kind: BlobKind, name: Option<String>) -> Result<Option<Blob>> {
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
    pub fn expire_blocking(&self, before: i64) -> Result<Vec<String>> {
        self.database.write_blocking(move |connection| {
            let mut statement = connection.prepare_cached("DELETE FROM queue_blobs WHERE created < ?1 RETURNING id")?;
            let rows = statement.query_map([before], |row| row.get::<_, String>(0))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// The names of every blob file a record names.
    pub fn files_blocking(&self) -> Result<Vec<String>> {
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

/// A link secret: 32 random bytes, URL-safe base64.
fn token() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|error| anyhow::anyhow!("no randomness for a link secret: {error}"))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}
