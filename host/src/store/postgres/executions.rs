//! Executions on PostgreSQL: the record of each run of a data project, and the records it
//! rejected.

use anyhow::{Result, bail};

use super::Database;
use crate::store::{Execution, RecordError};

impl Database {
    pub(in crate::store) fn save_execution(&self, execution: &Execution) -> Result<()> {
        bail!("save_execution {}: not built on PostgreSQL yet", execution.id)
    }

    pub(in crate::store) fn execution(&self, id: &str) -> Result<Option<Execution>> {
        bail!("execution {id}: not built on PostgreSQL yet")
    }

    pub(in crate::store) fn execution_ids(&self, offset: u64, limit: u64) -> Result<Vec<String>> {
        bail!("execution_ids {offset} {limit}: not built on PostgreSQL yet")
    }

    pub(in crate::store) fn remove_executions_before(&self, before: &str) -> Result<Vec<String>> {
        bail!("remove_executions_before {before}: not built on PostgreSQL yet")
    }

    pub(in crate::store) fn execution_errors(&self, id: &str, offset: u64, limit: u64) -> Result<Vec<RecordError>> {
        bail!("execution_errors {id} {offset} {limit}: not built on PostgreSQL yet")
    }

    pub(in crate::store) fn execution_error_count(&self, id: &str) -> Result<u64> {
        bail!("execution_error_count {id}: not built on PostgreSQL yet")
    }
}
