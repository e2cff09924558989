//! OData's queries over one entity table, rendered for PostgreSQL.

use anyhow::{Result, bail};

use super::Database;
use crate::entity::Entity;
use crate::store::{Condition, Query, QueryRow};

impl Database {
    pub(in crate::store) fn query(&self, entity: &Entity, query: &Query) -> Result<Vec<QueryRow>> {
        self.check_prepared(entity)?;
        bail!("query {query:?}: not built on PostgreSQL yet")
    }

    pub(in crate::store) fn query_count(&self, entity: &Entity, condition: &Condition) -> Result<u64> {
        self.check_prepared(entity)?;
        bail!("query_count {condition:?}: not built on PostgreSQL yet")
    }

    pub(in crate::store) fn query_plan(&self, entity: &Entity, query: &Query) -> Result<Vec<String>> {
        self.check_prepared(entity)?;
        bail!("query_plan {query:?}: not built on PostgreSQL yet")
    }
}
