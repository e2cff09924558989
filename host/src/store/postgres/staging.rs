//! DMF staging on PostgreSQL: rows an execution keeps before they reach their entities'
//! tables, their corrections, and the copy to the targets.

use std::sync::Arc;

use anyhow::{Result, bail};
use serde_json::{Map, Value as Json};

use super::{Database, WriteBatch};
use crate::store::{Execution, StagedRow, StagingError};

impl WriteBatch<'_> {
    pub(in crate::store) fn stage(&mut self, execution: &str, entity: &str, rows: &[StagedRow]) -> Result<()> {
        bail!("stage {execution} {entity} {}: not built on PostgreSQL yet", rows.len())
    }
}

impl Database {
    pub(in crate::store) fn staged_rows(
        &self,
        execution: &str,
        errors_only: bool,
        offset: u64,
        limit: u64,
    ) -> Result<(u64, Vec<StagedRow>)> {
        bail!("staged_rows {execution} {errors_only} {offset} {limit}: not built on PostgreSQL yet")
    }

    pub(in crate::store) fn correct_staged_row(
        &self,
        execution: &str,
        entity: &str,
        number: u64,
        changes: &Map<String, Json>,
        companies: Option<Arc<[String]>>,
    ) -> Result<StagedRow, StagingError> {
        let _ = (changes, companies);
        Err(anyhow::anyhow!("correct_staged_row {execution} {entity} {number}: not built on PostgreSQL yet").into())
    }

    pub(in crate::store) fn drop_staged_row(&self, execution: &str, entity: &str, number: u64) -> Result<(), StagingError> {
        Err(anyhow::anyhow!("drop_staged_row {execution} {entity} {number}: not built on PostgreSQL yet").into())
    }

    pub(in crate::store) fn copy_to_target(
        &self,
        execution: &str,
        companies: Option<Arc<[String]>>,
        now: &str,
    ) -> Result<Execution, StagingError> {
        let _ = companies;
        Err(anyhow::anyhow!("copy_to_target {execution} {now}: not built on PostgreSQL yet").into())
    }
}
