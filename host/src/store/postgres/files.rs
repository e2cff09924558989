//! Files executions leave (error files), kept in the database so that every replica can hand
//! them out, whichever one ran the execution.

use std::path::Path;

use anyhow::{Context as _, Result};

use super::Database;

impl Database {
    /// Keeps the file at `path` under `name` for `execution`, replacing one kept before.
    pub(in crate::store) fn keep_execution_file(&self, execution: &str, name: &str, path: &Path) -> Result<()> {
        let data = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        self.postgres
            .wait(async {
                let client = self.postgres.client().await?;
                client
                    .execute(
                        "INSERT INTO store_execution_files (execution, name, data) VALUES ($1, $2, $3)
                         ON CONFLICT (execution, name) DO UPDATE SET data = excluded.data",
                        &[&execution, &name, &data],
                    )
                    .await?;
                Ok(())
            })
            .with_context(|| format!("cannot keep {name} of execution {execution}"))
    }

    /// Writes the file kept under `name` for `execution` to `path`; false when none is kept.
    pub(in crate::store) fn fetch_execution_file(&self, execution: &str, name: &str, path: &Path) -> Result<bool> {
        let data: Option<Vec<u8>> = self
            .postgres
            .wait(async {
                let client = self.postgres.client().await?;
                let sql = "SELECT data FROM store_execution_files WHERE execution = $1 AND name = $2";
                Ok(client.query_opt(sql, &[&execution, &name]).await?.map(|row| row.get(0)))
            })
            .with_context(|| format!("cannot read {name} of execution {execution}"))?;
        let Some(data) = data else { return Ok(false) };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
        }
        // Written beside and renamed, so a reader never sees half a file.
        let partial = path.with_extension("partial");
        std::fs::write(&partial, data).with_context(|| format!("cannot write {}", partial.display()))?;
        std::fs::rename(&partial, path).with_context(|| format!("cannot write {}", path.display()))?;
        Ok(true)
    }
}
