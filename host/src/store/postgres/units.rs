//! The store as plugins see it on PostgreSQL: lookups by key on committed rows, and units of
//! work for actions, each a transaction on a pooled connection of its own.

use anyhow::{Result, bail};

use super::Database;
use crate::plugin::entities::Fields;
use crate::plugin::{Entities, UnitOfWork};

impl Entities for Database {
    fn lookup(&self, entity: &str, key: &Fields) -> Result<Option<Fields>> {
        bail!("lookup {entity} {}: not built on PostgreSQL yet", key.len())
    }

    fn begin(&self) -> Result<Box<dyn UnitOfWork>> {
        Ok(Box::new(self.unit()?))
    }

    fn begin_read(&self) -> Result<Box<dyn UnitOfWork>> {
        bail!("begin_read: not built on PostgreSQL yet")
    }
}

impl Database {
    pub(in crate::store) fn unit(&self) -> Result<Unit> {
        bail!("unit: not built on PostgreSQL yet")
    }
}

/// A unit of work: a transaction committed by [`UnitOfWork::commit`] and rolled back when
/// dropped.
#[derive(Debug)]
pub(in crate::store) struct Unit {}

impl Unit {
    pub(in crate::store) fn versioned(&mut self, entity: &str, key: &Fields) -> Result<Option<(Fields, u64)>> {
        bail!("versioned {entity} {}: not built on PostgreSQL yet", key.len())
    }

    pub(in crate::store) fn delete(&mut self, entity: &str, key: &Fields) -> Result<bool> {
        bail!("delete {entity} {}: not built on PostgreSQL yet", key.len())
    }
}

impl UnitOfWork for Unit {
    fn read(&mut self, entity: &str, key: &Fields) -> Result<Option<Fields>> {
        bail!("read {entity} {}: not built on PostgreSQL yet", key.len())
    }

    fn find(&mut self, entity: &str, criteria: &Fields, limit: usize) -> Result<Vec<Fields>> {
        bail!("find {entity} {} {limit}: not built on PostgreSQL yet", criteria.len())
    }

    fn insert(&mut self, entity: &str, row: Fields) -> Result<()> {
        bail!("insert {entity} {}: not built on PostgreSQL yet", row.len())
    }

    fn update(&mut self, entity: &str, key: &Fields, changes: Fields) -> Result<()> {
        bail!("update {entity} {} {}: not built on PostgreSQL yet", key.len(), changes.len())
    }

    fn commit(self: Box<Self>) -> Result<()> {
        bail!("commit: not built on PostgreSQL yet")
    }
}
