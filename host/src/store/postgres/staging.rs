//! DMF staging on PostgreSQL: rows an execution keeps before they reach their entities'
//! tables, their corrections, and the copy to the targets.
//!
//! What a staged row is and how it is validated is the engines' shared part
//! (`store/staging.rs`); this file keeps them in `store_staging`. Everything that works on an
//! execution's staging (a correction, a drop, the copy) first locks the execution's row, so
//! replicas take turns on one execution: a row cannot be corrected while the copy reads it.
//! Entity names sort byte by byte (`COLLATE "C"`, also the column's collation, so that the
//! primary key serves the listing), as on SQLite.

use std::sync::Arc;

use anyhow::{Context as _, Result};
use deadpool_postgres::{GenericClient, Transaction};
use serde_json::{Map, Value as Json};
use tokio_postgres::{IsolationLevel, Row};

use super::executions::{read_execution, write_execution};
use super::{Database, WriteBatch};
use crate::entity::Entity;
use crate::store::staging::{
    ConvertedPage, convert_page, converter, copied, corrected, no_staged_row, not_copied, not_waiting, rejections,
    sql_number, staged_entity, waiting, waiting_or_ended,
};
use crate::store::{EntityExecutionState, Execution, StagedRow, StagingError, TransferStatus};

/// Rows converted and written per page while an execution is copied to the target.
const COPY_PAGE_ROWS: i64 = 5_000;

/// Rows inserted per statement while staging: enough that a statement's round trip is small
/// beside its rows, few enough that one statement's text stays a few megabytes.
const STAGE_ROWS_PER_STATEMENT: usize = 1_000;

impl From<tokio_postgres::Error> for StagingError {
    fn from(error: tokio_postgres::Error) -> Self {
        StagingError::Store(error.into())
    }
}

impl WriteBatch<'_> {
    /// Keeps `rows` of `entity` in `execution`'s staging, in this transaction; their numbers
    /// follow the entity's rows staged before (the numbers given are ignored).
    pub(in crate::store) fn stage(&mut self, execution: &str, entity: &str, rows: &[StagedRow]) -> Result<()> {
        let transaction = &self.transaction;
        self.database.postgres.wait(async {
            let last: i64 = transaction
                .query_one(
                    "SELECT coalesce(max(number), 0) FROM store_staging WHERE execution = $1 AND entity = $2",
                    &[&execution, &entity],
                )
                .await?
                .try_get(0)?;
            // Each statement takes its rows as arrays, one per column: one round trip per
            // statement, not per row.
            let insert = transaction
                .prepare_cached(
                    "INSERT INTO store_staging (execution, entity, number, record, status, row_values, errors)
                     SELECT $1::text, $2::text, staged.number, staged.record, staged.status, staged.row_values,
                         staged.errors
                     FROM unnest($3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[])
                         AS staged (number, record, status, row_values, errors)",
                )
                .await?;
            let mut next = last;
            for chunk in rows.chunks(STAGE_ROWS_PER_STATEMENT) {
                let mut numbers = Vec::with_capacity(chunk.len());
                let mut records = Vec::with_capacity(chunk.len());
                let mut statuses = Vec::with_capacity(chunk.len());
                let mut values = Vec::with_capacity(chunk.len());
                let mut errors = Vec::with_capacity(chunk.len());
                for row in chunk {
                    next += 1;
                    let (row_values, row_errors) = row.stored_json()?;
                    numbers.push(next);
                    records.push(sql_number(row.record)?);
                    statuses.push(row.status.name());
                    values.push(row_values);
                    errors.push(row_errors);
                }
                let (first, last) = (chunk.first().map(|row| row.record), chunk.last().map(|row| row.record));
                transaction
                    .execute(&insert, &[&execution, &entity, &numbers, &records, &statuses, &values, &errors])
                    .await
                    .with_context(|| {
                        format!("cannot stage records {} to {} of {entity}", first.unwrap_or(0), last.unwrap_or(0))
                    })?;
            }
            Ok(())
        })
    }

    /// The next page of rows of `entity` waiting to be copied, after number `after`.
    async fn waiting_rows(&self, execution: &str, entity: &str, after: u64) -> Result<Vec<StagedRow>> {
        let statement = self
            .transaction
            .prepare_cached(
                "SELECT entity, number, record, status, row_values, errors FROM store_staging
                 WHERE execution = $1 AND entity = $2 AND number > $3 AND status = $4 ORDER BY number LIMIT $5",
            )
            .await?;
        let parameters: [&(dyn tokio_postgres::types::ToSql + Sync); 5] =
            [&execution, &entity, &sql_number(after)?, &TransferStatus::NotStarted.name(), &COPY_PAGE_ROWS];
        self.transaction.query(&statement, &parameters).await?.iter().map(read_row).collect()
    }

    /// Marks rows `numbers` of `entity` in `execution`'s staging copied to the target.
    async fn completed(&self, execution: &str, entity: &str, numbers: &[i64]) -> Result<()> {
        let statement = self
            .transaction
            .prepare_cached(
                "UPDATE store_staging SET status = $3 WHERE execution = $1 AND entity = $2 AND number = ANY($4)",
            )
            .await?;
        let status = TransferStatus::Completed.name();
        self.transaction.execute(&statement, &[&execution, &entity, &status, &numbers]).await?;
        Ok(())
    }

    /// How many rows of `entity` in `execution`'s staging are rejected.
    async fn rejected_rows(&self, execution: &str, entity: &str) -> Result<u64> {
        let count: i64 = self
            .transaction
            .query_one(
                "SELECT count(*) FROM store_staging WHERE execution = $1 AND entity = $2 AND status = $3",
                &[&execution, &entity, &TransferStatus::Error.name()],
            )
            .await?
            .try_get(0)?;
        u64::try_from(count).context("a negative count")
    }
}

impl Database {
    /// `limit` staged rows of `execution` after skipping `offset` (only rejected ones when
    /// `errors_only`), by entity and number, with how many there are in all.
    pub(in crate::store) fn staged_rows(
        &self,
        execution: &str,
        errors_only: bool,
        offset: u64,
        limit: u64,
    ) -> Result<(u64, Vec<StagedRow>)> {
        // Beyond i64::MAX there is nothing to skip to or return anyway.
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let status = if errors_only { Some(TransferStatus::Error.name()) } else { None };
        self.postgres
            .wait(async {
                let mut client = self.postgres.client().await?;
                // One snapshot for the count and the page, so they agree.
                let transaction = client
                    .build_transaction()
                    .isolation_level(IsolationLevel::RepeatableRead)
                    .read_only(true)
                    .start()
                    .await?;
                let total: i64 = transaction
                    .query_one(
                        "SELECT count(*) FROM store_staging WHERE execution = $1 AND ($2::text IS NULL OR status = $2)",
                        &[&execution, &status],
                    )
                    .await?
                    .try_get(0)?;
                let statement = transaction
                    .prepare_cached(
                        r#"SELECT entity, number, record, status, row_values, errors FROM store_staging
                           WHERE execution = $1 AND ($2::text IS NULL OR status = $2)
                           ORDER BY entity COLLATE "C", number LIMIT $3 OFFSET $4"#,
                    )
                    .await?;
                let rows = transaction.query(&statement, &[&execution, &status, &limit, &offset]).await?;
                let staged = rows.iter().map(read_row).collect::<Result<Vec<_>>>()?;
                transaction.commit().await?;
                Ok((u64::try_from(total).context("a negative count")?, staged))
            })
            .with_context(|| format!("cannot read the staging of execution {execution}"))
    }

    /// Corrects staged row `number` of `entity` in `execution`: `changes` (field → value, `null`
    /// to clear one) go over its values, and the result must convert into a valid row of the
    /// entity (into one of `companies`, when given), which it becomes, waiting to be copied.
    /// The row's error records go with its errors.
    pub(in crate::store) fn correct_staged_row(
        &self,
        execution: &str,
        entity: &str,
        number: u64,
        changes: &Map<String, Json>,
        companies: Option<Arc<[String]>>,
    ) -> Result<StagedRow, StagingError> {
        let entity = staged_entity(&self.catalog(), entity)?;
        self.with_staging(async |transaction| {
            let execution = waiting_execution(&transaction, execution).await?;
            let row = found_row(&transaction, &execution.id, &entity.name, number).await?;
            let row = corrected(&entity, &execution, row, changes, companies)?;
            update_row(&transaction, &execution.id, &row).await?;
            forget_errors(&transaction, &execution.id, &entity, row.record).await?;
            transaction.commit().await.context("cannot commit a corrected row")?;
            Ok(row)
        })
    }

    /// Drops staged row `number` of `entity` from `execution`'s staging, with its error
    /// records: it will not be copied.
    pub(in crate::store) fn drop_staged_row(
        &self,
        execution: &str,
        entity: &str,
        number: u64,
    ) -> Result<(), StagingError> {
        let entity = staged_entity(&self.catalog(), entity)?;
        self.with_staging(async |transaction| {
            let execution = waiting_execution(&transaction, execution).await?;
            let row = found_row(&transaction, &execution.id, &entity.name, number).await?;
            not_copied(&row)?;
            transaction
                .execute(
                    "DELETE FROM store_staging WHERE execution = $1 AND entity = $2 AND number = $3",
                    &[&execution.id, &entity.name, &sql_number(number)?],
                )
                .await?;
            forget_errors(&transaction, &execution.id, &entity, row.record).await?;
            transaction.commit().await.context("cannot commit a dropped row")?;
            Ok(())
        })
    }

    /// Copies `execution` from staging to the target: every valid row of every entity waiting
    /// in staging is converted again and upserted, in one transaction with the execution's new
    /// record (D365's staging → target step), so it is copied wholly once or not at all. Rows
    /// that fail now are marked rejected with their reason; rows still rejected stay behind.
    pub(in crate::store) fn copy_to_target(
        &self,
        execution: &str,
        companies: Option<Arc<[String]>>,
        now: &str,
    ) -> Result<Execution, StagingError> {
        let catalog = self.catalog();
        let mut writer = self.writer()?;
        let mut batch = writer.transaction()?;
        let mut execution =
            self.postgres.wait(async { Ok(waiting_execution(&batch.transaction, execution).await) })??;
        let mut failed_rows = 0u64;
        for record in execution.entities.iter_mut().filter(|record| waiting(record)) {
            let entity = catalog
                .get(&record.entity)
                .with_context(|| format!("entity {} is no longer defined", record.entity))?
                .clone();
            let converter = converter(&entity, record.company.as_deref(), companies.clone())?;
            let mut after = 0u64;
            loop {
                let page = self.postgres.wait(batch.waiting_rows(&execution.id, &entity.name, after))?;
                let Some(last) = page.last() else { break };
                after = last.number;
                let ConvertedPage { converted, kept, rejected } = convert_page(&entity, &converter, &page);
                let upserted = batch.upsert(&entity, &converted)?;
                record.target_records += upserted.inserted + upserted.updated + upserted.unchanged;
                record.inserted += upserted.inserted;
                record.updated += upserted.updated;
                let numbers = kept
                    .iter()
                    .filter_map(|index| page.get(*index as usize))
                    .map(|row| sql_number(row.number))
                    .collect::<Result<Vec<_>>>()?;
                let rejected: Vec<_> = rejections(&record.entity, &page, rejected).collect();
                let batch_ref = &batch;
                self.postgres.wait(async {
                    batch_ref.completed(&execution.id, &entity.name, &numbers).await?;
                    for (row, _) in &rejected {
                        update_row(&batch_ref.transaction, &execution.id, row).await?;
                    }
                    Ok(())
                })?;
                let errors: Vec<_> = rejected.into_iter().map(|(_, error)| error).collect();
                record.target_error_count += errors.len() as u64;
                failed_rows += errors.len() as u64;
                batch.record_errors(&execution.id, &errors)?;
            }
            let rejected = self.postgres.wait(batch.rejected_rows(&execution.id, &entity.name))?;
            record.staging_error_count = rejected.saturating_sub(record.target_error_count);
            record.target_status = EntityExecutionState::Finished;
            record.completed = Some(now.to_owned());
        }
        copied(&mut execution, failed_rows, now);
        self.postgres.wait(write_execution(&batch.transaction, &execution))?;
        batch.commit()?;
        Ok(execution)
    }

    /// Runs `work` in a transaction of its own, keeping its error. Dropped uncommitted, the
    /// transaction rolls back before its connection goes back to the pool.
    fn with_staging<T>(
        &self,
        work: impl AsyncFnOnce(Transaction<'_>) -> Result<T, StagingError>,
    ) -> Result<T, StagingError> {
        self.postgres.wait(async {
            let mut client = self.postgres.client().await?;
            let transaction = client.transaction().await?;
            Ok(work(transaction).await)
        })?
    }
}

fn read_row(row: &Row) -> Result<StagedRow> {
    StagedRow::from_stored(
        row.try_get("entity")?,
        row.try_get("number")?,
        row.try_get("record")?,
        row.try_get("status")?,
        row.try_get("row_values")?,
        row.try_get("errors")?,
    )
}

async fn update_row(transaction: &impl GenericClient, execution: &str, row: &StagedRow) -> Result<()> {
    let (values, errors) = row.stored_json()?;
    let statement = transaction
        .prepare_cached(
            "UPDATE store_staging SET status = $4, row_values = $5, errors = $6
             WHERE execution = $1 AND entity = $2 AND number = $3",
        )
        .await?;
    transaction
        .execute(&statement, &[&execution, &row.entity, &sql_number(row.number)?, &row.status.name(), &values, &errors])
        .await?;
    Ok(())
}

/// Execution `id`, which must have entities waiting in staging, with its row locked until
/// `transaction` ends: whatever else works on its staging waits.
async fn waiting_execution(transaction: &impl GenericClient, id: &str) -> Result<Execution, StagingError> {
    transaction.execute("SELECT FROM store_executions WHERE id = $1 FOR UPDATE", &[&id]).await?;
    if let Some(execution) = waiting_or_ended(id, read_execution(transaction, id).await?)? {
        return Ok(execution);
    }
    let staged: bool = transaction
        .query_one("SELECT EXISTS (SELECT 1 FROM store_staging WHERE execution = $1)", &[&id])
        .await?
        .try_get(0)?;
    Err(not_waiting(id, staged))
}

/// Staged row `number` of `entity` in `execution`, or not found.
async fn found_row(
    transaction: &impl GenericClient,
    execution: &str,
    entity: &str,
    number: u64,
) -> Result<StagedRow, StagingError> {
    let row = transaction
        .query_opt(
            "SELECT entity, number, record, status, row_values, errors FROM store_staging
             WHERE execution = $1 AND entity = $2 AND number = $3",
            &[&execution, &entity, &sql_number(number)?],
        )
        .await?;
    match row {
        Some(row) => Ok(read_row(&row)?),
        None => Err(no_staged_row(execution, entity, number)),
    }
}

/// Removes the error records of `record` of `entity` in `execution`, once its row is corrected
/// or dropped: the execution's errors are those still standing.
async fn forget_errors(transaction: &impl GenericClient, execution: &str, entity: &Entity, record: u64) -> Result<()> {
    let record = sql_number(record)?;
    let still_staged: bool = transaction
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM store_staging WHERE execution = $1 AND entity = $2 AND record = $3
                 AND status = $4)",
            &[&execution, &entity.name, &record, &TransferStatus::Error.name()],
        )
        .await?
        .try_get(0)?;
    if !still_staged {
        transaction
            .execute(
                "DELETE FROM store_execution_errors WHERE execution = $1 AND entity IN ($2, $3) AND record = $4",
                &[&execution, &entity.label, &entity.name, &record],
            )
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::entity::{Catalog, Entity};
    use crate::store::tests::{On, Place, on_both_engines};
    use crate::store::{
        EntityExecution, EntityExecutionState, Execution, ExecutionStatus, Operation, RecordError, StagedError,
        StagedRow, StagingError, Store, TransferStatus,
    };

    /// Staged row from `record`: every seventh one rejected.
    fn staged(entity: &str, record: u64) -> StagedRow {
        let rejected = record.is_multiple_of(7);
        StagedRow {
            entity: entity.into(),
            number: 0,
            record,
            status: if rejected { TransferStatus::Error } else { TransferStatus::NotStarted },
            values: json!({ "Id": format!("R{record}"), "Amount": "1.50", "Note": "it's \"quoted\"" })
                .as_object()
                .expect("an object")
                .clone(),
            errors: match rejected {
                true => vec![StagedError { field: Some("Amount".into()), message: "not a number".into() }],
                false => Vec::new(),
            },
        }
    }

    fn stage(store: &Store, execution: &str, entity: &str, records: std::ops::RangeInclusive<u64>) {
        let rows: Vec<StagedRow> = records.map(|record| staged(entity, record)).collect();
        let mut writer = store.writer().expect("a writer");
        let mut batch = writer.transaction().expect("a transaction");
        batch.stage(execution, entity, &rows).expect("staged");
        batch.commit().expect("committed");
    }

    fn ended(id: &str, started: &str) -> Execution {
        Execution {
            id: id.into(),
            project: "Lines".into(),
            operation: Operation::Import,
            status: ExecutionStatus::PartiallySucceeded,
            started: started.into(),
            completed: Some(started.into()),
            company: None,
            entities: Vec::new(),
        }
    }

    /// Ten thousand rows staged in two transactions number on from each other, and page back
    /// by entity (byte order: upper case first, as SQLite sorts) and number, with their count.
    fn ten_thousand_staged_rows_page_back_in_order_with_their_count(on: On) {
        let place = Place::new(on);
        let store = place.open();
        stage(&store, "x", "lines", 1..=6_000);
        stage(&store, "x", "lines", 6_001..=10_000);
        stage(&store, "x", "Order", 1..=3);
        stage(&store, "y", "lines", 1..=5);

        let mut read = Vec::new();
        for offset in (0..10_003).step_by(1_000) {
            let (total, page) = store.staged_rows("x", false, offset, 1_000).expect("a page");
            assert_eq!(total, 10_003);
            read.extend(page);
        }
        let expected: Vec<StagedRow> = (1..=3)
            .map(|record| StagedRow { number: record, ..staged("Order", record) })
            .chain((1..=10_000).map(|record| StagedRow { number: record, ..staged("lines", record) }))
            .collect();
        assert_eq!(read.len(), expected.len());
        assert!(read == expected, "the pages differ from the rows staged");

        let (rejected, page) = store.staged_rows("x", true, 1_000, 5).expect("rejected rows");
        assert_eq!(rejected, 1_428);
        let records: Vec<u64> = page.iter().map(|row| row.record).collect();
        assert_eq!(records, [7_007, 7_014, 7_021, 7_028, 7_035]);
        assert_eq!(store.staged_rows("x", false, 10_003, 10).expect("past the end"), (10_003, Vec::new()));
        assert_eq!(store.staged_rows("x", false, u64::MAX, u64::MAX).expect("far past the end").1, []);
    }

    /// Removing old executions takes their entities, rejected records and staged rows, and
    /// leaves those of a running old execution and of newer ones.
    fn removing_old_executions_takes_their_errors_and_staged_rows(on: On) {
        let place = Place::new(on);
        let store = place.open();
        let mut running = ended("running", "2026-01-01T00:00:00Z");
        running.completed = None;
        for execution in [&ended("old", "2026-01-01T00:00:00Z"), &running, &ended("new", "2026-07-01T00:00:00Z")] {
            store.save_execution(execution).expect("saved");
            stage(&store, &execution.id, "lines", 1..=7);
            let error = RecordError { entity: "lines".into(), record: 7, field: None, message: "bad".into() };
            let mut writer = store.writer().expect("a writer");
            let mut batch = writer.transaction().expect("a transaction");
            batch.record_errors(&execution.id, &[error]).expect("recorded");
            batch.commit().expect("committed");
        }

        assert_eq!(store.remove_executions_before("2026-06-01T00:00:00Z").expect("removed"), ["old"]);
        assert_eq!(store.execution("old").expect("read"), None);
        assert_eq!(store.execution_error_count("old").expect("count"), 0);
        assert_eq!(store.staged_rows("old", false, 0, 10).expect("staged").0, 0);
        for kept in ["running", "new"] {
            assert!(store.execution(kept).expect("read").is_some(), "{kept}");
            assert_eq!(store.execution_error_count(kept).expect("count"), 1, "{kept}");
            assert_eq!(store.staged_rows(kept, false, 0, 10).expect("staged").0, 7, "{kept}");
        }
        assert_eq!(store.remove_executions_before("2026-06-01T00:00:00Z").expect("removed"), Vec::<String>::new());
    }

    /// On PostgreSQL the files an execution leaves are kept in the database; they go with it.
    #[test]
    fn removing_an_old_execution_on_postgres_takes_its_kept_files() {
        let place = Place::new(On::Postgres);
        let store = place.open();
        let directory = tempfile::tempdir().expect("a temporary directory");
        let file = directory.path().join("errors.zip");
        std::fs::write(&file, b"the errors").expect("a file");
        for execution in [ended("old", "2026-01-01T00:00:00Z"), ended("new", "2026-07-01T00:00:00Z")] {
            store.save_execution(&execution).expect("saved");
            store.keep_execution_file(&execution.id, "errors.zip", &file).expect("kept");
        }
        assert_eq!(store.remove_executions_before("2026-06-01T00:00:00Z").expect("removed"), ["old"]);
        let fetched = |execution: &str| {
            let path = directory.path().join(execution).join("errors.zip");
            store.fetch_execution_file(execution, "errors.zip", &path).expect("fetched")
        };
        assert!(!fetched("old"), "the old execution's file is gone");
        assert!(fetched("new"), "the new execution's file stays");
    }

    const LINE: &str = r#"
name = "Line"
key = ["LineId"]

[[field]]
name = "LineId"
type = "string"

[[field]]
name = "Qty"
type = "integer"
"#;

    /// Rows that were valid when staged but fail when copied are marked rejected with their
    /// reason and recorded as the execution's errors, in the copy's transaction; the others
    /// reach the target, and the execution cannot be copied twice.
    /// A store on `on` whose execution `x` waits in staging with two rows of `Line`: a valid
    /// one and one that fails when converted.
    fn waiting_lines(on: On) -> (Place, Store) {
        let place = Place::new(on);
        let store = place.open();
        let entity = Entity::parse(LINE, "a test").expect("the entity");
        store.prepare(&Catalog::new(vec![entity]).expect("a catalog")).expect("prepared");
        let waiting = EntityExecution {
            entity: "Line".into(),
            company: Some("usmf".into()),
            staging_records: 2,
            staging_status: EntityExecutionState::Finished,
            staging_error_count: 0,
            target_records: 0,
            target_status: EntityExecutionState::NotRun,
            target_error_count: 0,
            started: None,
            completed: None,
            inserted: 0,
            updated: 0,
        };
        let mut execution = ended("x", "2026-01-01T00:00:00Z");
        execution.company = Some("usmf".into());
        execution.entities = vec![waiting];
        store.save_execution(&execution).expect("saved");
        let rows: Vec<StagedRow> = [json!({ "LineId": "L1", "Qty": 1 }), json!({ "LineId": "L2", "Qty": "many" })]
            .into_iter()
            .zip(1..)
            .map(|(values, record)| StagedRow {
                values: values.as_object().expect("an object").clone(),
                errors: Vec::new(),
                ..staged("Line", record)
            })
            .collect();
        let mut writer = store.writer().expect("a writer");
        let mut batch = writer.transaction().expect("a transaction");
        batch.stage("x", "Line", &rows).expect("staged");
        batch.commit().expect("committed");
        (place, store)
    }

    /// Rows that were valid when staged but fail when copied are marked rejected with their
    /// reason and recorded as the execution's errors, in the copy's transaction; the others
    /// reach the target, and the execution cannot be copied twice.
    fn rows_that_fail_at_the_copy_are_rejected_with_their_reason(on: On) {
        let (_place, store) = waiting_lines(on);
        let copied = store.copy_to_target("x", None, "2026-01-01T00:00:01Z").expect("the copy");
        assert_eq!(copied.status, ExecutionStatus::PartiallySucceeded);
        let record = &copied.entities[0];
        assert_eq!((record.target_records, record.inserted, record.target_error_count), (1, 1, 1));
        assert_eq!(store.execution("x").expect("read"), Some(copied));
        let (_, staged_rows) = store.staged_rows("x", false, 0, 10).expect("the rows");
        let statuses: Vec<TransferStatus> = staged_rows.iter().map(|row| row.status).collect();
        assert_eq!(statuses, [TransferStatus::Completed, TransferStatus::Error]);
        assert_eq!(staged_rows[1].errors.len(), 1);
        let errors = store.execution_errors("x", 0, 10).expect("the errors");
        assert_eq!(errors.len(), 1);
        assert_eq!((errors[0].record, errors[0].message.clone()), (2, staged_rows[1].errors[0].message.clone()));
        let line = store.catalog().require("Line").expect("the entity").clone();
        assert_eq!(store.count(&line, None).expect("a count"), 1);
        let again = store.copy_to_target("x", None, "2026-01-01T00:00:02Z");
        assert!(matches!(&again, Err(StagingError::Conflict(message)) if message.contains("copied")), "{again:?}");
    }

    /// A correction on one replica waits while another copies the execution (which holds the
    /// execution's row, here held by hand), then finds it copied: it cannot slip in after the
    /// copy read the rows and be lost.
    #[test]
    fn a_correction_waits_for_a_copy_under_way_and_then_finds_it_copied() {
        let (place, store) = waiting_lines(On::Postgres);
        let Place::Database(postgres) = &place else { panic!("a PostgreSQL place") };
        let changes = json!({ "LineId": "L2", "Qty": 2 }).as_object().expect("an object").clone();
        let refused = postgres
            .wait(async {
                let mut client = postgres.client().await?;
                let copy = client.transaction().await?;
                copy.execute("SELECT FROM store_executions WHERE id = 'x' FOR UPDATE", &[]).await?;
                let correcting = std::thread::spawn(move || store.correct_staged_row("x", "Line", 2, &changes, None));
                tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                assert!(!correcting.is_finished(), "the correction did not wait for the copy");
                copy.execute(
                    "UPDATE store_execution_entities SET target_status = 'Finished' WHERE execution = 'x'",
                    &[],
                )
                .await?;
                copy.execute("UPDATE store_staging SET status = 'Completed' WHERE execution = 'x'", &[]).await?;
                copy.commit().await?;
                Ok(correcting)
            })
            .expect("the copy")
            .join()
            .expect("the correction ends");
        assert!(matches!(&refused, Err(StagingError::Conflict(message)) if message.contains("copied")), "{refused:?}");
    }

    on_both_engines!(
        ten_thousand_staged_rows_page_back_in_order_with_their_count,
        removing_old_executions_takes_their_errors_and_staged_rows,
        rows_that_fail_at_the_copy_are_rejected_with_their_reason,
    );
}
