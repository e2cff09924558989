//! Reading entity rows for export on PostgreSQL: every row changed since a version, in
//! batches, in the order they were changed.

use anyhow::{Result, bail};
use wharf_plugin_sdk::Batch;

use super::Database;
use crate::entity::Entity;
use crate::store::ReadQuery;

/// Batches of an entity's rows in the order they changed.
#[derive(Debug)]
pub(in crate::store) struct RowReader {
    up_to_version: u64,
}

impl Database {
    pub(in crate::store) fn read(&self, entity: &Entity, query: &ReadQuery) -> Result<RowReader> {
        self.check_prepared(entity)?;
        bail!("read {query:?}: not built on PostgreSQL yet")
    }
}

impl RowReader {
    pub(in crate::store) fn up_to_version(&self) -> u64 {
        self.up_to_version
    }
}

impl Iterator for RowReader {
    type Item = Result<Batch>;

    fn next(&mut self) -> Option<Result<Batch>> {
        None
    }
}
