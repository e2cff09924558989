//! Executions on PostgreSQL: the record of each run of a data project, and the records it
//! rejected.
//!
//! Start times are RFC 3339 text, compared and sorted byte by byte (`COLLATE "C"`, also the
//! column's collation, so that its index serves the listing) as SQLite does: a database's own
//! collation may skip punctuation, and would put `…T10:00:00.5Z` and `…T10:00:00Z` in another
//! order.

use anyhow::{Context as _, Result};
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::{Database, check_lease};
use crate::store::executions::{Named as _, sql_count};
use crate::store::{EntityExecution, EntityExecutionState, Execution, ExecutionStatus, Lease, Operation, RecordError};

impl Database {
    /// Saves `execution` and its entities, replacing what was saved under its ID before. Its
    /// record errors, saved with [`WriteBatch::record_errors`](super::WriteBatch::record_errors),
    /// stay.
    pub(in crate::store) fn save_execution(&self, execution: &Execution, lease: Option<&Lease>) -> Result<()> {
        self.postgres
            .wait(async {
                let mut client = self.postgres.client().await?;
                let transaction = client.transaction().await?;
                if let Some(lease) = lease {
                    check_lease(&transaction, lease).await?;
                }
                write_execution(&transaction, execution).await?;
                transaction.commit().await?;
                Ok(())
            })
            .with_context(|| format!("cannot save execution {}", execution.id))
    }

    /// The execution saved under `id`, with its entities in their saved order.
    pub(in crate::store) fn execution(&self, id: &str) -> Result<Option<Execution>> {
        self.postgres
            .wait(async {
                let mut client = self.postgres.client().await?;
                // One snapshot for the execution and its entities: a save in between cannot
                // mix two versions of it.
                let transaction = client
                    .build_transaction()
                    .read_only(true)
                    .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead);
                let transaction = transaction.start().await?;
                let execution = read_execution(&transaction, id).await?;
                transaction.commit().await?;
                Ok(execution)
            })
            .with_context(|| format!("cannot read execution {id}"))
    }

    /// The ids of the newest executions (by start time, newest first; the last saved first
    /// among equal start times): `limit` of them after skipping `offset`.
    pub(in crate::store) fn execution_ids(&self, offset: u64, limit: u64) -> Result<Vec<String>> {
        // Beyond i64::MAX there is nothing to skip to or return anyway.
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.postgres
            .wait(async {
                let client = self.postgres.client().await?;
                let statement = client
                    .prepare_cached(
                        r#"SELECT id FROM store_executions ORDER BY started COLLATE "C" DESC, seq DESC
                           LIMIT $1 OFFSET $2"#,
                    )
                    .await?;
                let rows = client.query(&statement, &[&limit, &offset]).await?;
                Ok(rows.iter().map(|row| row.get("id")).collect())
            })
            .context("cannot list executions")
    }

    /// Removes the executions that started before `before` (RFC 3339, UTC) and that have
    /// ended, with their entities, rejected records, staged rows and kept files; returns their
    /// ids. D365's job history cleanup, which keeps a recurring job's executions from piling up.
    pub(in crate::store) fn remove_executions_before(&self, before: &str) -> Result<Vec<String>> {
        self.postgres
            .wait(async {
                let mut client = self.postgres.client().await?;
                let transaction = client.transaction().await?;
                let removed = transaction
                    .query(
                        r#"DELETE FROM store_executions WHERE started COLLATE "C" < $1 AND completed IS NOT NULL
                           RETURNING id"#,
                        &[&before],
                    )
                    .await?;
                let ids: Vec<String> = removed.iter().map(|row| row.get("id")).collect();
                for sql in [
                    "DELETE FROM store_execution_entities WHERE execution = ANY($1)",
                    "DELETE FROM store_execution_errors WHERE execution = ANY($1)",
                    "DELETE FROM store_staging WHERE execution = ANY($1)",
                    // The error files every replica hands out; SQLite's are in the execution
                    // folders, which the retention removes with the executions.
                    "DELETE FROM store_execution_files WHERE execution = ANY($1)",
                ] {
                    transaction.execute(sql, &[&ids]).await?;
                }
                transaction.commit().await?;
                Ok(ids)
            })
            .context("cannot remove old executions")
    }

    /// Rejected records of execution `id` in the order they were recorded: `limit` of them,
    /// after skipping `offset`.
    pub(in crate::store) fn execution_errors(&self, id: &str, offset: u64, limit: u64) -> Result<Vec<RecordError>> {
        // Beyond i64::MAX there is nothing to skip to or return anyway.
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.postgres
            .wait(async {
                let client = self.postgres.client().await?;
                let statement = client
                    .prepare_cached(
                        "SELECT entity, record, field, message FROM store_execution_errors WHERE execution = $1
                         ORDER BY seq LIMIT $2 OFFSET $3",
                    )
                    .await?;
                let rows = client.query(&statement, &[&id, &limit, &offset]).await?;
                rows.iter()
                    .map(|row| {
                        Ok(RecordError {
                            entity: row.try_get("entity")?,
                            record: stored_count(row, "record")?,
                            field: row.try_get("field")?,
                            message: row.try_get("message")?,
                        })
                    })
                    .collect()
            })
            .with_context(|| format!("cannot read the errors of execution {id}"))
    }

    /// How many records execution `id` rejected.
    pub(in crate::store) fn execution_error_count(&self, id: &str) -> Result<u64> {
        self.postgres
            .wait(async {
                let client = self.postgres.client().await?;
                let statement =
                    client.prepare_cached("SELECT count(*) FROM store_execution_errors WHERE execution = $1").await?;
                let count: i64 = client.query_one(&statement, &[&id]).await?.try_get(0)?;
                u64::try_from(count).context("a negative error count")
            })
            .with_context(|| format!("cannot count the errors of execution {id}"))
    }
}

/// A count read from the database; negative ones mean the database was edited by hand.
fn stored_count(row: &Row, column: &str) -> Result<u64> {
    let count: i64 = row.try_get(column)?;
    u64::try_from(count).with_context(|| format!("the store holds a negative {column}"))
}

/// Saves `execution` and its entities in `transaction`, replacing what was saved under its ID.
pub(super) async fn write_execution(transaction: &impl GenericClient, execution: &Execution) -> Result<()> {
    let upsert = transaction
        .prepare_cached(
            "INSERT INTO store_executions (id, project, operation, status, started, completed, company)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (id) DO UPDATE SET project = excluded.project, operation = excluded.operation,
                 status = excluded.status, started = excluded.started, completed = excluded.completed,
                 company = excluded.company",
        )
        .await?;
    transaction
        .execute(
            &upsert,
            &[
                &execution.id,
                &execution.project,
                &execution.operation.name(),
                &execution.status.name(),
                &execution.started,
                &execution.completed,
                &execution.company,
            ],
        )
        .await?;
    let delete = transaction.prepare_cached("DELETE FROM store_execution_entities WHERE execution = $1").await?;
    transaction.execute(&delete, &[&execution.id]).await?;
    let insert = transaction
        .prepare_cached(
            "INSERT INTO store_execution_entities (execution, position, entity, company, staging_records,
                 staging_status, staging_error_count, target_records, target_status, target_error_count,
                 started, completed, inserted, updated)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .await?;
    for (position, entity) in execution.entities.iter().enumerate() {
        let position = i32::try_from(position).context("an execution with too many entities")?;
        transaction
            .execute(
                &insert,
                &[
                    &execution.id,
                    &position,
                    &entity.entity,
                    &entity.company,
                    &sql_count(entity.staging_records, "staging_records")?,
                    &entity.staging_status.name(),
                    &sql_count(entity.staging_error_count, "staging_error_count")?,
                    &sql_count(entity.target_records, "target_records")?,
                    &entity.target_status.name(),
                    &sql_count(entity.target_error_count, "target_error_count")?,
                    &entity.started,
                    &entity.completed,
                    &sql_count(entity.inserted, "inserted")?,
                    &sql_count(entity.updated, "updated")?,
                ],
            )
            .await?;
    }
    Ok(())
}

/// The execution saved under `id`, read in `client`'s transaction when it is one.
pub(super) async fn read_execution(client: &impl GenericClient, id: &str) -> Result<Option<Execution>> {
    let statement = client
        .prepare_cached(
            "SELECT project, operation, status, started, completed, company FROM store_executions WHERE id = $1",
        )
        .await?;
    let Some(row) = client.query_opt(&statement, &[&id]).await? else {
        return Ok(None);
    };
    let statement = client
        .prepare_cached(
            "SELECT entity, company, staging_records, staging_status, staging_error_count, target_records,
                 target_status, target_error_count, started, completed, inserted, updated
             FROM store_execution_entities WHERE execution = $1 ORDER BY position",
        )
        .await?;
    let entities = client
        .query(&statement, &[&id])
        .await?
        .iter()
        .map(|entity| {
            Ok(EntityExecution {
                entity: entity.try_get("entity")?,
                company: entity.try_get("company")?,
                staging_records: stored_count(entity, "staging_records")?,
                staging_status: EntityExecutionState::from_name(entity.try_get("staging_status")?)?,
                staging_error_count: stored_count(entity, "staging_error_count")?,
                target_records: stored_count(entity, "target_records")?,
                target_status: EntityExecutionState::from_name(entity.try_get("target_status")?)?,
                target_error_count: stored_count(entity, "target_error_count")?,
                started: entity.try_get("started")?,
                completed: entity.try_get("completed")?,
                inserted: stored_count(entity, "inserted")?,
                updated: stored_count(entity, "updated")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Some(Execution {
        id: id.to_owned(),
        project: row.try_get("project")?,
        operation: Operation::from_name(row.try_get("operation")?)?,
        status: ExecutionStatus::from_name(row.try_get("status")?)?,
        started: row.try_get("started")?,
        completed: row.try_get("completed")?,
        company: row.try_get("company")?,
        entities,
    }))
}

#[cfg(test)]
mod tests {
    use crate::store::tests::{On, Place};
    use crate::store::{Execution, ExecutionStatus, Operation};

    fn execution(id: &str, started: &str) -> Execution {
        Execution {
            id: id.into(),
            project: "Customers".into(),
            operation: Operation::Import,
            status: ExecutionStatus::Succeeded,
            started: started.into(),
            completed: Some(started.into()),
            company: None,
            entities: Vec::new(),
        }
    }

    /// Executions that started at the same instant list the last saved first, as SQLite lists
    /// them by rowid; saving one again does not move it.
    fn executions_that_started_together_list_the_last_saved_first(on: On) {
        let place = Place::new(on);
        let store = place.open();
        for (id, started) in [
            ("early", "2026-11-21T09:00:00Z"),
            ("first", "2026-11-21T10:00:00Z"),
            ("second", "2026-11-21T10:00:00Z"),
            ("third", "2026-11-21T10:00:00Z"),
            ("late", "2026-11-21T11:00:00Z"),
        ] {
            store.save_execution(&execution(id, started)).expect("saved");
        }
        store.save_execution(&execution("first", "2026-11-21T10:00:00Z")).expect("saved again");
        assert_eq!(store.execution_ids(0, 10).expect("ids"), ["late", "third", "second", "first", "early"]);
        assert_eq!(store.execution_ids(1, 2).expect("ids"), ["third", "second"]);
        assert_eq!(store.execution_ids(4, u64::MAX).expect("ids"), ["early"]);
        assert_eq!(store.execution_ids(u64::MAX, 1).expect("ids"), Vec::<String>::new());
    }

    #[test]
    fn executions_that_started_together_list_the_last_saved_first_on_sqlite() {
        executions_that_started_together_list_the_last_saved_first(On::Sqlite);
    }

    #[test]
    fn executions_that_started_together_list_the_last_saved_first_on_postgres() {
        executions_that_started_together_list_the_last_saved_first(On::Postgres);
    }
}
