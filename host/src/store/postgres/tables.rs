//! Entity tables on PostgreSQL and how they follow a changed definition; the version counter,
//! export watermarks and row counts.

use anyhow::{Result, bail};

use super::Database;
use crate::entity::{Catalog, Entity};
use crate::store::Watermark;

const UNBUILT: &str = "not built on PostgreSQL yet";

impl Database {
    pub(in crate::store) fn prepare(&self, catalog: &Catalog) -> Result<()> {
        let _ = catalog;
        self.set_catalog(&Catalog::default());
        bail!("prepare: {UNBUILT}")
    }

    pub(in crate::store) fn version(&self) -> Result<u64> {
        bail!("version: {UNBUILT}")
    }

    pub(in crate::store) fn watermark(&self, project: &str, entity: &str) -> Result<u64> {
        bail!("watermark {project} {entity}: {UNBUILT}")
    }

    pub(in crate::store) fn set_watermark(&self, project: &str, entity: &str, version: u64) -> Result<()> {
        bail!("set_watermark {project} {entity} {version}: {UNBUILT}")
    }

    pub(in crate::store) fn stage_watermarks(&self, message: &str, watermarks: &[Watermark]) -> Result<()> {
        bail!("stage_watermarks {message} {}: {UNBUILT}", watermarks.len())
    }

    pub(in crate::store) fn commit_watermarks(&self, message: &str) -> Result<()> {
        bail!("commit_watermarks {message}: {UNBUILT}")
    }

    pub(in crate::store) fn discard_watermarks(&self, message: &str) -> Result<()> {
        bail!("discard_watermarks {message}: {UNBUILT}")
    }

    pub(in crate::store) fn staged_watermarks(&self) -> Result<Vec<String>> {
        bail!("staged_watermarks: {UNBUILT}")
    }

    pub(in crate::store) fn count(&self, entity: &Entity, company: Option<&str>) -> Result<u64> {
        self.check_prepared(entity)?;
        bail!("count {company:?}: {UNBUILT}")
    }
}
