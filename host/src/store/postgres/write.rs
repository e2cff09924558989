//! Writing entity rows on PostgreSQL: one transaction per batch, each with a new version.

use std::fmt;

use anyhow::{Result, bail};
use deadpool_postgres::Object;
use wharf_plugin_sdk::Batch;

use super::Database;
use crate::entity::Entity;
use crate::store::{RecordError, Upserted};

/// A pooled connection for one writer thread; each [`transaction`](Self::transaction) is one
/// batch.
pub(in crate::store) struct Writer {
    pub(super) database: Database,
    pub(super) client: Object,
}

impl fmt::Debug for Writer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Writer").finish_non_exhaustive()
    }
}

impl Database {
    pub(in crate::store) fn writer(&self) -> Result<Writer> {
        let client = self.postgres.wait(self.postgres.client())?;
        Ok(Writer { database: self.clone(), client })
    }
}

impl Writer {
    pub(in crate::store) fn transaction(&mut self) -> Result<WriteBatch<'_>> {
        let transaction = self.database.postgres.wait(async { Ok(self.client.transaction().await?) })?;
        Ok(WriteBatch { database: &self.database, transaction, version: 0 })
    }
}

/// One write transaction: the rows of a batch, its rejected records and its staged rows.
pub(in crate::store) struct WriteBatch<'w> {
    pub(super) database: &'w Database,
    pub(super) transaction: deadpool_postgres::Transaction<'w>,
    pub(super) version: u64,
}

impl fmt::Debug for WriteBatch<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriteBatch").field("version", &self.version).finish_non_exhaustive()
    }
}

impl WriteBatch<'_> {
    pub(in crate::store) fn version(&self) -> u64 {
        self.version
    }

    pub(in crate::store) fn upsert(&mut self, entity: &Entity, rows: &Batch) -> Result<Upserted> {
        self.database.check_prepared(entity)?;
        bail!("upsert of {} rows: not built on PostgreSQL yet", rows.len())
    }

    pub(in crate::store) fn record_errors(&mut self, execution: &str, errors: &[RecordError]) -> Result<()> {
        bail!("record_errors {execution} {}: not built on PostgreSQL yet", errors.len())
    }

    pub(in crate::store) fn commit(self) -> Result<u64> {
        bail!("commit: not built on PostgreSQL yet")
    }
}
